using System.Diagnostics;
using System.Globalization;
using System.Text;
using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// A durable topic's directory, <c>root/&lt;topic name&gt;/</c>, held exclusively by this instance: partitions in
/// <c>&lt;partition&gt;/</c>, committed offsets in <c>offsets/</c>, and <c>topic.meta</c>, what the topic was created with.
/// </summary>
/// <remarks>
/// <para>
/// The lock is <c>.lock</c>, opened with <see cref="FileShare.None"/>: on Windows a sharing lock, on Linux and macOS an
/// advisory <c>flock(LOCK_EX)</c> that .NET takes for <see cref="FileShare.None"/>, seen by every process that asks for
/// it (another HotPath, <c>flock -n</c>). The file is left in place on <see cref="Dispose"/>: deleting it would let a
/// third opener lock a fresh inode while a second one still waits on the old. The holder writes its process id into it
/// and into <c>.owner</c> (deleted on <see cref="Dispose"/>); the latter is what a refused opener reads, because
/// .NET reading a file takes a shared flock, which the holder's exclusive one refuses.
/// </para>
/// <para>Thread-safety: <see cref="Open"/> and the members are safe from any thread; <see cref="Dispose"/> is idempotent.</para>
/// </remarks>
internal sealed class TopicDirectory : IDisposable
{
    /// <summary>The file holding what the topic was created with.</summary>
    public const string MetaFileName = "topic.meta";

    /// <summary>The lock file.</summary>
    public const string LockFileName = ".lock";

    /// <summary>The file naming the lock holder's process, readable while the lock is held.</summary>
    public const string OwnerFileName = ".owner";

    private readonly int _partitionCount;
    private FileStream? _lock;

    private TopicDirectory(string path, FileStream lockStream, int partitionCount, bool isNew)
    {
        Path = path;
        _lock = lockStream;
        _partitionCount = partitionCount;
        IsNew = isNew;
        OffsetsDirectory = System.IO.Path.Combine(path, "offsets");
    }

    /// <summary>The topic's directory, <c>root/&lt;topic name&gt;</c>.</summary>
    public string Path { get; }

    /// <summary>True when this <see cref="Open"/> created the topic's files (no <c>topic.meta</c> was there).</summary>
    public bool IsNew { get; }

    /// <summary>The directory of the topic's committed offsets, <c>Path/offsets</c> (created by the offset store).</summary>
    public string OffsetsDirectory { get; }

    /// <summary>
    /// Opens (or creates) <paramref name="topicName"/>'s directory under <paramref name="root"/> and locks it: a
    /// <see cref="JournalException"/> when the root's parent is missing, a directory is not writable, another instance
    /// holds the topic, or <c>topic.meta</c> describes another partition count, event size or event type.
    /// </summary>
    public static TopicDirectory Open(string root, string topicName, int partitionCount, int eventSize, string eventTypeName)
    {
        ValidateArguments(root, topicName, partitionCount, eventSize, eventTypeName);
        string rootPath = System.IO.Path.GetFullPath(root);
        CreateRoot(rootPath);
        string path = System.IO.Path.Combine(rootPath, topicName);
        CreateDirectory(path, $"the directory of topic '{topicName}'");
        FileStream lockStream = TakeLock(path, $"topic '{topicName}'");
        try
        {
            var meta = new TopicMetaLayout.Meta(partitionCount, eventSize, eventTypeName);
            bool isNew = WriteOrCheckMeta(System.IO.Path.Combine(path, MetaFileName), topicName, meta);
            return new TopicDirectory(path, lockStream, partitionCount, isNew);
        }
        catch
        {
            lockStream.Dispose();
            throw;
        }
    }

    /// <summary>The directory of <paramref name="partition"/>, <c>Path/&lt;partition&gt;</c>; not created here.</summary>
    public string PartitionDirectory(int partition)
    {
        if ((uint)partition >= (uint)_partitionCount)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(partition), $"must be from 0 to {_partitionCount - 1} (the topic's partitions)", partition);
        }

        return System.IO.Path.Combine(Path, partition.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Releases the lock; the lock file stays, the owner file is deleted first (so a process that locks the file
    /// without HotPath is reported as "unknown", never as this one). Idempotent.
    /// </summary>
    public void Dispose() => ReleaseLock(Path, Interlocked.Exchange(ref _lock, null));

    /// <summary>Releases a lock taken by <see cref="TakeLock"/> (null: nothing): the owner file first, then the lock.</summary>
    internal static void ReleaseLock(string path, FileStream? lockStream)
    {
        if (lockStream is null)
        {
            return;
        }

        try
        {
            File.Delete(System.IO.Path.Combine(path, OwnerFileName));
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            // Informational only; the next holder overwrites it.
        }

        lockStream.Dispose();
    }

    private static void ValidateArguments(string root, string topicName, int partitionCount, int eventSize, string eventTypeName)
    {
        if (string.IsNullOrWhiteSpace(root))
        {
            ThrowHelper.Argument(nameof(root), $"{nameof(root)} must name a directory, was '{root}'");
        }

        if (string.IsNullOrWhiteSpace(topicName) || topicName is "." or ".." || topicName.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0
            || topicName.Contains('/') || topicName.Contains('\\'))
        {
            ThrowHelper.Argument(nameof(topicName), $"{nameof(topicName)} must be usable as one directory name (not empty, '.', '..', no separator), was '{topicName}'");
        }

        if (partitionCount < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(partitionCount), "must be at least 1", partitionCount);
        }

        if (eventSize < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(eventSize), "must be at least 1", eventSize);
        }

        int nameBytes = eventTypeName is null ? -1 : TopicMetaLayout.NameBytes(eventTypeName);
        if (nameBytes is < 1 or > TopicMetaLayout.MaxTypeNameBytes)
        {
            ThrowHelper.Argument(nameof(eventTypeName), $"{nameof(eventTypeName)} must be valid text of 1 to {TopicMetaLayout.MaxTypeNameBytes} UTF-8 bytes, was '{eventTypeName}' ({nameBytes} bytes, -1: not valid UTF-16)");
        }
    }

    private static void CreateRoot(string rootPath)
    {
        if (Directory.Exists(rootPath))
        {
            return;
        }

        string? parent = System.IO.Path.GetDirectoryName(rootPath);
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new JournalException(rootPath,
                $"cannot create the durability directory '{rootPath}': its parent '{parent}' does not exist; create it, or choose another DurabilityOptions.Directory",
                new DirectoryNotFoundException($"Could not find a part of the path '{parent}'."));
        }

        CreateDirectory(rootPath, "the durability directory");
    }

    private static void CreateDirectory(string path, string what)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw new JournalException(path, $"cannot create {what} '{path}': {OsError.Describe(e)}; make its parent writable by this process", e);
        }
    }

    /// <summary>
    /// Takes the exclusive lock of <paramref name="path"/> (<c>.lock</c>, the holder's process id in it and in
    /// <c>.owner</c>); a <see cref="JournalException"/> naming the holder when another instance has it.
    /// <paramref name="what"/> names the holder's subject in messages ("topic 'orders'").
    /// </summary>
    internal static FileStream TakeLock(string path, string what)
    {
        string lockPath = System.IO.Path.Combine(path, LockFileName);
        FileStream lockStream;
        try
        {
            // Unbuffered: the process id is written by Write itself, so a refused write throws there and Dispose has
            // nothing left to flush (a buffered stream would throw the same error again from Dispose in the handler).
            lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            throw new JournalException(lockPath,
                $"{what} at '{path}' is held by another HotPath instance (process {ReadOwner(path)}; lock file '{lockPath}'): dispose it or stop that process first",
                e);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw new JournalException(lockPath, $"cannot open the lock file '{lockPath}': {OsError.Describe(e)}; make '{path}' writable by this process", e);
        }

        byte[] pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        try
        {
            lockStream.SetLength(0);
            lockStream.Write(pid);
            lockStream.Flush();
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            lockStream.Dispose();
            throw new JournalException(lockPath, $"cannot write the lock holder's process id into '{lockPath}': {OsError.Describe(e)}; make it writable by this process", e);
        }

        try
        {
            File.WriteAllBytes(System.IO.Path.Combine(path, OwnerFileName), pid);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            // Informational only: a refused opener reading it at this moment keeps it busy; its message then says "unknown".
        }

        return lockStream;
    }

    // EWOULDBLOCK (11 on Linux, 35 on macOS) from flock; ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on Windows.
    private static bool IsHeldElsewhere(IOException e) =>
        e.GetType() == typeof(IOException) && e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    private static string ReadOwner(string path)
    {
        try
        {
            string text = File.ReadAllText(System.IO.Path.Combine(path, OwnerFileName)).Trim();
            return text.Length > 0 ? text : "unknown";
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            return "unknown";
        }
    }

    private static bool WriteOrCheckMeta(string metaPath, string topicName, TopicMetaLayout.Meta meta)
    {
        if (!File.Exists(metaPath))
        {
            AtomicFile.Replace(metaPath, metaPath + ".tmp", TopicMetaLayout.WriteFile(meta));
            return true;
        }

        AtomicFile.DeleteStale(metaPath + ".tmp");
        byte[] file;
        try
        {
            file = File.ReadAllBytes(metaPath);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw new JournalException(metaPath, $"cannot read '{metaPath}': {OsError.Describe(e)}", e);
        }

        TopicMetaLayout.Meta stored = TopicMetaLayout.ReadFile(file, metaPath);
        string fix = $"'{metaPath}'; open it with the values it was created with, or use a new topic name or directory";
        if (stored.PartitionCount != meta.PartitionCount)
        {
            throw new JournalException(metaPath, $"topic '{topicName}' was created with {stored.PartitionCount} partitions; reopened with {meta.PartitionCount}: {fix}");
        }

        if (stored.EventSize != meta.EventSize)
        {
            throw new JournalException(metaPath, $"topic '{topicName}' was created with an event size of {stored.EventSize} bytes; reopened with {meta.EventSize}: {fix}");
        }

        if (stored.EventTypeName != meta.EventTypeName)
        {
            throw new JournalException(metaPath, $"topic '{topicName}' was created with event type '{stored.EventTypeName}'; reopened with '{meta.EventTypeName}': {fix}");
        }

        return false;
    }
}
