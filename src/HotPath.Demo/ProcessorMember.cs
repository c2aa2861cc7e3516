namespace HotPath.Demo;

/// <summary>
/// One member of a processor group in the exactly-once stage: counts the outputs of the batch in hand and, once a hang
/// is requested, blocks the handler at the end of the next batch that published outputs (before the batch commits)
/// until the stage releases it: a member that "crashes mid-transaction", which the group declares failed once it is
/// past the session time-out.
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="Handled"/> on the member's thread only; <see cref="RequestHang"/> and
/// <see cref="HungOutputs"/> from any thread.
/// </remarks>
internal sealed class ProcessorMember(string memberId, ManualResetEventSlim release, Action<ProcessorMember, int> onHang)
{
    private bool _hangRequested;
    private int _hungOutputs = -1;
    private int _partition = -1;
    private long _nextOffset = -1;
    private int _batchOutputs;

    public string MemberId => memberId;

    /// <summary>Outputs the hung batch had published when the handler blocked, or -1 while it has not hung.</summary>
    public int HungOutputs => Volatile.Read(ref _hungOutputs);

    /// <summary>Makes the handler block at the end of its next batch with outputs. Any thread.</summary>
    public void RequestHang() => Volatile.Write(ref _hangRequested, true);

    /// <summary>Called by the handler after each event.</summary>
    /// <param name="partition">The event's partition.</param>
    /// <param name="offset">The event's offset.</param>
    /// <param name="published">True when the event produced an output.</param>
    /// <param name="endOfBatch">True for the last event of the batch.</param>
    public void Handled(int partition, long offset, bool published, bool endOfBatch)
    {
        // A batch is a run of consecutive offsets of one partition; anything else (another partition, a batch handed
        // out again after an abort) starts a new one.
        if (partition != _partition || offset != _nextOffset)
        {
            _batchOutputs = 0;
        }

        _partition = partition;
        _nextOffset = offset + 1;
        if (published)
        {
            _batchOutputs++;
        }

        if (!endOfBatch)
        {
            return;
        }

        if (_batchOutputs != 0 && _hungOutputs < 0 && Volatile.Read(ref _hangRequested))
        {
            Volatile.Write(ref _hungOutputs, _batchOutputs);
            onHang(this, partition);
            // The outputs are published, the batch is not committed: the group declares this member failed past its
            // session time-out and its partitions move; the stage releases the handler before draining.
            release.Wait();
        }

        _batchOutputs = 0;
    }
}
