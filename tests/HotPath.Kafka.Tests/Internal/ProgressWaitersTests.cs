using HotPath.Kafka.Internal;

namespace HotPath.Kafka.Tests.Internal;

/// <summary>
/// The waiters behind <c>KafkaMirror.WaitMirroredAsync</c> and <c>KafkaSource.WaitCommittedAsync</c>, without a cluster:
/// completion on progress, cancellation that leaves nothing behind, terminal failures, and a race of all three.
/// </summary>
public sealed class ProgressWaitersTests
{
    private readonly long[] _progress = new long[3];

    private ProgressWaiters Create() => new(p => Volatile.Read(ref _progress[p]));

    [Fact]
    public async Task WaitAsync_TargetsReachedLater_CompletesOnTheCheckThatReachesThem()
    {
        ProgressWaiters waiters = Create();
        Task waiting = waiters.WaitAsync([5, -1, 2], CancellationToken.None);
        Volatile.Write(ref _progress[0], 5);
        waiters.Check();
        Assert.False(waiting.IsCompleted);

        Volatile.Write(ref _progress[2], 3);
        waiters.Check();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(waiters.WaitAsync([5, 0, 3], CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_CancelsTheTaskAndLeavesNoWaiter()
    {
        ProgressWaiters waiters = Create();
        using var cts = new CancellationTokenSource();
        Task waiting = waiters.WaitAsync([1, 1, 1], cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.True(waiting.IsCanceled);
        // Gone from the list: a terminal failure afterwards does not reach it (it stays cancelled), and progress finds none.
        waiters.FailAll(new InvalidOperationException("late"));
        Assert.True(waiting.IsCanceled);
        Assert.True(waiters.WaitAsync([0, 0, 0], new CancellationToken(canceled: true)).IsCanceled);
    }

    [Fact]
    public async Task FailAll_PendingAndLaterWaiters_FailWithTheFirstException()
    {
        ProgressWaiters waiters = Create();
        Task pending = waiters.WaitAsync([1, 0, 0], CancellationToken.None);
        var first = new InvalidOperationException("faulted");
        waiters.FailAll(first);
        waiters.FailAll(new ObjectDisposedException("later"));

        Assert.Same(first, await Assert.ThrowsAsync<InvalidOperationException>(() => pending));
        Assert.Same(first, await Assert.ThrowsAsync<InvalidOperationException>(() => waiters.WaitAsync([0, 0, 0], CancellationToken.None)));
    }

    [Fact]
    public async Task FailUnreached_OnePartition_FailsOnlyWaitersShortOfTheirTargetThere()
    {
        ProgressWaiters waiters = Create();
        Volatile.Write(ref _progress[1], 4);
        Task shortOnOne = waiters.WaitAsync([-1, 6, -1], CancellationToken.None);
        Task reachedOnOne = waiters.WaitAsync([3, 4, -1], CancellationToken.None);
        Task noTargetOnOne = waiters.WaitAsync([2, -1, -1], CancellationToken.None);

        waiters.FailUnreached(1, target => new TimeoutException($"target {target}"));

        Assert.Equal("target 6", (await Assert.ThrowsAsync<TimeoutException>(() => shortOnOne)).Message);
        Assert.False(reachedOnOne.IsCompleted);
        Assert.False(noTargetOnOne.IsCompleted);
        Volatile.Write(ref _progress[0], 3);
        waiters.Check();
        await Task.WhenAll(reachedOnOne, noTargetOnOne).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WaitAsync_RacingProgressAndCancellation_EveryTaskEndsReachedOrCancelled()
    {
        ProgressWaiters waiters = Create();
        const int Waiters = 2000;
        var tasks = new List<(Task Task, long Target, CancellationTokenSource Cts)>();
        Task progress = Task.Run(() =>
        {
            for (long value = 1; value <= Waiters; value++)
            {
                Volatile.Write(ref _progress[0], value);
                waiters.Check();
                if (value % 50 == 0)
                {
                    Thread.Yield();
                }
            }
        });

        for (int i = 0; i < Waiters; i++)
        {
            var cts = new CancellationTokenSource();
            long target = i + 1;
            tasks.Add((waiters.WaitAsync([target, -1, -1], cts.Token), target, cts));
            if (i % 3 == 0)
            {
                cts.Cancel();
            }
        }

        await progress;
        await Task.WhenAll(tasks.Select(t => t.Task.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(30));
        foreach ((Task task, long target, CancellationTokenSource cts) in tasks)
        {
            Assert.True(task.IsCompletedSuccessfully || (task.IsCanceled && cts.IsCancellationRequested), $"target {target}: {task.Status}");
            cts.Dispose();
        }
    }
}
