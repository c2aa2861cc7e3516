using HotPath.Partitions;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A writer thread that claims one slot of a multi-writer partition, half fills it (<see cref="CheckedEvent.Torn"/>)
/// and holds it while other threads publish, until the test tells it to publish (with a proper event) or abandon it.
/// A claim is a ref struct bound to its thread, so the holder is a thread of its own. The thread lives on after its
/// release until <see cref="Dispose"/>: a thread that ended may leave its stack, and with it the writer bias, to the next
/// thread (see "Who is the owner" in Partition.Bias.cs), and the model counts claiming threads as distinct live threads.
/// </summary>
internal sealed class ClaimHolder : IDisposable
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(5);
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _claimed = new();
    private readonly ManualResetEventSlim _go = new();
    private readonly ManualResetEventSlim _released = new();
    private readonly ManualResetEventSlim _retire = new();
    private readonly Partition<CheckedEvent> _partition;
    private bool _publish;
    private long _value;
    private long _offset = -1;
    private Exception? _error;

    public ClaimHolder(Partition<CheckedEvent> partition)
    {
        _partition = partition;
        _thread = new Thread(Hold) { IsBackground = true, Name = "claim holder" };
        _thread.Start();
        if (!_claimed.Wait(ClaimTimeout + TimeSpan.FromSeconds(1)) || _error is not null)
        {
            Dispose();
            throw new Xunit.Sdk.XunitException($"the holder could not claim a slot within {ClaimTimeout}: {_error?.Message}");
        }
    }

    /// <summary>The claimed offset (set before the constructor returns).</summary>
    public long Offset => Volatile.Read(ref _offset);

    /// <summary>Publishes the claim as an intact event with <paramref name="value"/>, or abandons it; waits for that.</summary>
    public void Release(bool publish, long value)
    {
        _publish = publish;
        _value = value;
        _go.Set();
        if (!_released.Wait(TimeSpan.FromSeconds(5)))
        {
            throw new Xunit.Sdk.XunitException($"the holder of offset {Offset} did not finish its release");
        }

        if (_error is not null)
        {
            throw new Xunit.Sdk.XunitException($"the holder of offset {Offset} failed: {_error}");
        }
    }

    /// <summary>Abandons the claim if it is still held (a failed run's clean-up), and ends the thread.</summary>
    public void Dispose()
    {
        _go.Set();
        _retire.Set();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Hold()
    {
        try
        {
            long deadline = Environment.TickCount64 + (long)ClaimTimeout.TotalMilliseconds;
            EventClaim<CheckedEvent> claim;
            while (!_partition.TryClaim(out claim))
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException("no free slot to claim");
                }

                Thread.Sleep(1);
            }

            try
            {
                Volatile.Write(ref _offset, claim.Offset);
                claim.Event = CheckedEvent.Torn;
                _claimed.Set();
                _go.Wait();
                if (_publish)
                {
                    claim.Event = new CheckedEvent(_value);
                    claim.Publish();
                }
            }
            finally
            {
                claim.Dispose();
            }
        }
        catch (Exception ex)
        {
            _error = ex;
            _claimed.Set();
        }

        _released.Set();
        _retire.Wait();
    }
}
