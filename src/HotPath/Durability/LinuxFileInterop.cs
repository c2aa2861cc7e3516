using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// The libc call behind segment preallocation on Linux (<see cref="DurabilityOptions.PreallocateSegments"/>). A blittable
/// signature apart from the handle, which the runtime marshals (add-ref for the call's duration).
/// </summary>
/// <remarks>Thread safety: acts on the file only.</remarks>
internal static class LinuxFileInterop
{
    /// <summary><c>FALLOC_FL_KEEP_SIZE</c>: allocate the blocks, leave the file's size as it is.</summary>
    public const int KeepSize = 1;

    private const string LibC = "libc";

    /// <summary>
    /// <c>int fallocate(int fd, int mode, off_t offset, off_t len)</c>: 0, or -1 with errno set (EOPNOTSUPP where the file
    /// system cannot, ENOSPC where it has no room).
    /// </summary>
    /// <param name="file">The open file.</param>
    /// <param name="mode">Flags; <see cref="KeepSize"/>.</param>
    /// <param name="offset">The first byte of the range.</param>
    /// <param name="length">The range's length in bytes.</param>
    /// <returns>0 on success, -1 on failure.</returns>
    [DllImport(LibC, EntryPoint = "fallocate", ExactSpelling = true, SetLastError = true)]
    internal static extern int Fallocate(SafeFileHandle file, int mode, long offset, long length);
}
