using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using HotPath.Diagnostics;

namespace HotPath.Partitions;

/// <summary>
/// A partition's part of tracing (<see cref="HotPathTracing"/>): the span names and partition tag built once, the
/// send span of each publication, and the optional per-slot trace contexts.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> <c>_slots</c> (null unless the topic propagates trace context) holds, at index
/// <c>offset &amp; mask</c>, the context of the event at that offset. The publisher writes the entry (plain) before the
/// publication's release in <c>PublishCore</c>; a reader reads it after acquiring the publication and before it commits
/// past the event, and a lossless reader's uncommitted offset keeps the writer off the slot and its entry (the same
/// gating as the slot itself), so the entry is whole and current. A lossy reader may be lapped while it reads: it never
/// reads the entries (a torn context would be worse than none). An entry whose <see cref="TraceSlot.Offset"/> is not the
/// event's (a journal read of an offset whose slot moved on, an offset whose publisher had no context) gives none.</para>
/// <para>Thread-safety: <see cref="OnPublish"/> on the publishing thread (before the release); the reads on the reading
/// thread as described.</para>
/// </remarks>
internal sealed class PartitionTracing
{
    private readonly TraceSlot[]? _slots;
    private readonly int _mask;

    public PartitionTracing(string topicName, int partition, int capacity, bool propagate)
    {
        TopicName = topicName;
        PartitionTag = partition.ToString(CultureInfo.InvariantCulture);
        SendName = "send " + topicName;
        ProcessName = "process " + topicName;
        _mask = capacity - 1;
        _slots = propagate ? new TraceSlot[capacity] : null;
    }

    public string TopicName { get; }

    public string PartitionTag { get; }

    public string SendName { get; }

    public string ProcessName { get; }

    /// <summary>True when the topic keeps trace contexts per slot.</summary>
    public bool Propagates => _slots is not null;

    /// <summary>
    /// True when a publication must call <see cref="OnPublish"/>: the topic keeps trace contexts, or a listener listens.
    /// Two field loads and branches, both predicted not taken when tracing is off.
    /// </summary>
    public bool IsActive
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _slots is not null || HotPathTracing.Source.HasListeners();
    }

    /// <summary>
    /// A publication of [<paramref name="first"/>, <paramref name="last"/>], before its release: the send span (when a
    /// listener samples it) and the slots' trace contexts (when the topic keeps them and there is a context to keep).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void OnPublish(long first, long last)
    {
        Activity? send = HotPathTracing.Source.HasListeners() ? HotPathTracing.Source.StartActivity(SendName, ActivityKind.Producer) : null;
        if (send is { IsAllDataRequested: true })
        {
            HotPathTracing.SetCommonTags(send, "send", TopicName, PartitionTag, first, (int)(last - first + 1));
        }

        TraceSlot[]? slots = _slots;
        if (slots is not null && (send ?? Activity.Current) is { } current)
        {
            ActivityContext context = current.Context;
            for (long offset = first; offset <= last; offset++)
            {
                // Plain: ordered before the readers by the publication's release that follows (see the type's remarks).
                slots[(int)offset & _mask] = new TraceSlot(offset, context);
            }
        }

        send?.Dispose();
    }

    /// <summary>The publisher's context of the event at <paramref name="offset"/>, or default. Reading thread of a lossless reader.</summary>
    public ActivityContext CreationContext(long offset)
    {
        TraceSlot[]? slots = _slots;
        if (slots is null)
        {
            return default;
        }

        TraceSlot slot = slots[(int)offset & _mask];
        return slot.Offset == offset ? slot.Context : default;
    }
}
