using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// The libc calls behind segment preallocation on Linux (<see cref="DurabilityOptions.PreallocateSegments"/>) and the
/// journal's gather writes (<see cref="JournalStaging"/>). Blittable signatures apart from the handle, which the runtime
/// marshals (add-ref for the call's duration).
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

    /// <summary>The most buffers one <see cref="WriteGather"/> takes (<c>IOV_MAX</c> on Linux).</summary>
    public const int MaxBuffers = 1024;

    /// <summary>
    /// <c>ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)</c>: writes the buffers in order at
    /// <paramref name="offset"/>; the bytes written (possibly fewer than asked, e.g. at the file size limit), or -1 with
    /// errno set. The array is blittable: pinned for the call, not copied.
    /// </summary>
    /// <param name="file">The open file.</param>
    /// <param name="buffers">The buffers, at most <see cref="MaxBuffers"/>.</param>
    /// <param name="count">How many of <paramref name="buffers"/> to write.</param>
    /// <param name="offset">The file position of the first byte.</param>
    /// <returns>The bytes written, or -1.</returns>
    [DllImport(LibC, EntryPoint = "pwritev", ExactSpelling = true, SetLastError = true)]
    internal static extern nint WriteGather(SafeFileHandle file, [In] IoVector[] buffers, int count, long offset);

    /// <summary><c>struct iovec</c>: a buffer's address (pinned memory only) and length.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVector
    {
        public nint Base;
        public nint Length;
    }
}
