using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HotPath.Durability;

/// <summary>
/// Forces a directory's entries to stable storage (<c>fsync</c> of the directory on Linux and macOS), so that a rename
/// into it survives a power loss: .NET opens no directory for <see cref="RandomAccess.FlushToDisk"/>. On Windows, NTFS
/// journals the rename itself and a directory cannot be flushed through this API: nothing is done there.
/// </summary>
/// <remarks>
/// Blittable signatures (the path is passed as a NUL-terminated UTF-8 byte array, pinned by the runtime), so the calls
/// need no marshalling code and stay AOT-compatible. Thread-safety: stateless.
/// </remarks>
internal static class DirectorySync
{
    private const string LibC = "libc";

    /// <summary>Forces <paramref name="directory"/>'s entries to stable storage; a <see cref="JournalException"/> naming it when refused.</summary>
    public static void Flush(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            return;
        }

        byte[] path = new byte[System.Text.Encoding.UTF8.GetByteCount(directory) + 1];
        System.Text.Encoding.UTF8.GetBytes(directory, path);
        int fd = Open(path, 0);
        if (fd < 0)
        {
            throw Refused(directory, "open");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw Refused(directory, "fsync");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JournalException Refused(string directory, string call) =>
        new(directory, $"cannot force the directory '{directory}' to stable storage: {call} failed with errno {Marshal.GetLastPInvokeError()}");

    /// <summary><c>int open(const char *path, int flags)</c>: a descriptor, or -1 with errno set.</summary>
    [DllImport(LibC, EntryPoint = "open", ExactSpelling = true, SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    /// <summary><c>int fsync(int fd)</c>: 0, or -1 with errno set.</summary>
    [DllImport(LibC, EntryPoint = "fsync", ExactSpelling = true, SetLastError = true)]
    private static extern int FSync(int fd);

    /// <summary><c>int close(int fd)</c>.</summary>
    [DllImport(LibC, EntryPoint = "close", ExactSpelling = true, SetLastError = true)]
    private static extern int Close(int fd);
}
