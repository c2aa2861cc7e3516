using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// An async member consumes every <see cref="ValueTask"/> its handler returns exactly once, as the ValueTask contract
/// requires, whether it completed before the member looked at it or later. A handler that returns ValueTasks backed by
/// a pooled <see cref="IValueTaskSource"/> gets each source back (its <c>GetResult</c> is where pools recycle it).
/// </summary>
public class AsyncHandlerValueTaskTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A reusable source, as pooling handlers use: completed synchronously for even offsets (before the ValueTask is
    /// returned) and from another thread for odd ones; every <c>GetResult</c> is counted.
    /// </summary>
    private sealed class PooledSourceHandler : IAsyncEventHandler<TestEvent>, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core;
        private int _consumed;

        public int Consumed => Volatile.Read(ref _consumed);

        public ConcurrentQueue<long> Seen { get; } = new();

        public ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            _core.Reset();
            Seen.Enqueue(offset);
            var pending = new ValueTask(this, _core.Version);
            if (offset % 2 == 0)
            {
                _core.SetResult(true);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(core => core.SetResult(true), this, preferLocal: false);
            }

            return pending;
        }

        public void GetResult(short token)
        {
            Interlocked.Increment(ref _consumed);
            _core.GetResult(token);
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private void SetResult(bool value) => _core.SetResult(value);
    }

    [Fact]
    public void Join_AsyncHandlerReturnsPooledSourceValueTasks_EachConsumedExactlyOnce()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "pooled", Capacity = 64 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "pooled" });
        var handler = new PooledSourceHandler();
        group.Join(handler);

        for (int i = 0; i < 10; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("pooled", 0) == 10, Timeout), "the member handled the ten events");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), handler.Seen);
        Assert.Equal(10, handler.Consumed);
    }

    /// <summary>Samples the member thread's allocation counter after a warm-up and at the last event; completes synchronously.</summary>
    private sealed class SynchronousAllocationProbe(long warmup, long last) : IAsyncEventHandler<TestEvent>
    {
        private long _atWarmup = -1;

        public long AllocatedAfterWarmup { get; private set; } = -1;

        public ManualResetEventSlim Done { get; } = new();

        public ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            if (offset == warmup)
            {
                _atWarmup = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (offset == last)
            {
                AllocatedAfterWarmup = GC.GetAllocatedBytesForCurrentThread() - _atWarmup;
                Done.Set();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// An async handler whose calls complete synchronously costs its member nothing per event: after a warm-up, the member
    /// thread allocates 0 bytes over 200,000 events (the worker consumes each ValueTask without boxing or a Task).
    /// </summary>
    [Fact]
    public void Join_AsyncHandlerCompletesSynchronously_MemberAllocatesNothingPerEvent()
    {
        const int Events = 200_000;
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "sync-async", Capacity = 1024 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "sync-async" });
        var probe = new SynchronousAllocationProbe(warmup: 20_000, last: Events - 1);
        group.Join(probe);

        for (int i = 0; i < Events; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(probe.Done.Wait(Timeout), "the member handled every event");
        Assert.Equal(0, probe.AllocatedAfterWarmup);
    }
}
