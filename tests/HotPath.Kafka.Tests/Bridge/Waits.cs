namespace HotPath.Kafka.Tests.Bridge;

/// <summary>Bounded polling for conditions that other threads make true.</summary>
internal static class Waits
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {timeout}: {describe()}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }
}
