using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.CrashChild;

/// <summary>
/// The durable topic the crash child writes and the crash tests reopen: the same options on both sides (the directory's
/// meta file refuses another partition count or event type).
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
public static class CrashTopic
{
    /// <summary>The topic name.</summary>
    public const string Name = "crash";

    /// <summary>The durable group the child runs.</summary>
    public const string GroupId = "checker";

    /// <summary>Partitions: more than one, fewer than the keys.</summary>
    public const int Partitions = 4;

    /// <summary>Ring slots per partition: small, so a group resuming far behind catches up from the journal.</summary>
    public const int Capacity = 64;

    /// <summary>The keys, 0 to Keys - 1; writer w publishes the keys k with k % Writers == w.</summary>
    public const int Keys = 8;

    /// <summary>Writer threads.</summary>
    public const int Writers = 2;

    /// <summary>The default segment size: 64 KiB, so segments roll every ~2,700 events.</summary>
    public const long DefaultSegmentBytes = 64 << 10;

    /// <summary>The topic's options over <paramref name="directory"/>.</summary>
    /// <param name="directory">The durability root.</param>
    /// <param name="sync">The sync policy.</param>
    /// <param name="segmentBytes">The segment size.</param>
    /// <returns>The options.</returns>
    public static TopicOptions Options(string directory, SyncPolicy sync, long segmentBytes = DefaultSegmentBytes) => new()
    {
        Name = Name,
        PartitionCount = Partitions,
        Capacity = Capacity,
        PublishMode = PublishMode.MultiWriter,
        Durability = new DurabilityOptions
        {
            Directory = directory,
            Sync = sync,
            SyncInterval = TimeSpan.FromMilliseconds(20),
            SegmentBytes = segmentBytes,
        },
    };
}
