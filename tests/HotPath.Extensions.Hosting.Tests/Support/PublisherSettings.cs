namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>How many orders the <see cref="Publisher"/> publishes, and the signal it gives when done.</summary>
/// <param name="Count">The number of orders.</param>
public sealed record PublisherSettings(int Count)
{
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
