namespace HotPath.Durability;

/// <summary>
/// Replaces a small file whole: the new content goes to a side file, which is forced to stable storage and then renamed
/// over the target. After a crash at any point the target holds either its old content or its new content, never a mix.
/// </summary>
/// <remarks>
/// The rename is atomic (rename(2) on Linux and macOS, MoveFileEx on Windows): a process crash before it leaves the old
/// file, after it the new one, whose bytes the sync already put on disk. The directory is then forced too
/// (<see cref="DirectorySync"/>: fsync of the directory on Linux and macOS), so that after a power loss it names the new
/// file: a file that is appended to after its replacement (the transaction log) must not fall back to the old one. A
/// side file left by a crash before the rename is stale: callers delete it when they open the target (the target is
/// authoritative). Thread-safety: stateless; callers serialise replacements of one path.
/// </remarks>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="sidePath"/>, syncs it and renames it over
    /// <paramref name="path"/>; a <see cref="JournalException"/> naming the file when the operating system refuses.
    /// </summary>
    public static void Replace(string path, string sidePath, ReadOnlySpan<byte> content)
    {
        try
        {
            using (var side = new FileStream(sidePath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                side.Write(content);
                RandomAccess.FlushToDisk(side.SafeFileHandle);
            }

            File.Move(sidePath, path, overwrite: true);
            DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw new JournalException(path, $"cannot write '{path}' (through '{sidePath}'): {OsError.Describe(e)}", e);
        }
    }

    /// <summary>Deletes a side file left by a replacement that crashed before its rename; the target is authoritative.</summary>
    /// <returns>True when there was one.</returns>
    public static bool DeleteStale(string sidePath)
    {
        if (!File.Exists(sidePath))
        {
            return false;
        }

        File.Delete(sidePath);
        return true;
    }
}
