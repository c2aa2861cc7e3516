using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>
/// Handles orders below <see cref="SlowId"/> at once (recording them), and blocks on <see cref="SlowId"/> until
/// released or 10 s passed: a handler slower than every shutdown time-out.
/// </summary>
public sealed class SlowHandler : IEventHandler<Order>
{
    public const long SlowId = 5;

    private readonly List<long> _handled = [];

    public ManualResetEventSlim Release { get; } = new();

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<long> Handled
    {
        get
        {
            lock (_handled)
            {
                return [.. _handled];
            }
        }
    }

    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch)
    {
        if (@event.Id == SlowId)
        {
            Entered.TrySetResult();
            Release.Wait(TimeSpan.FromSeconds(10));
        }

        lock (_handled)
        {
            _handled.Add(@event.Id);
        }
    }
}
