namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>The exception a handler throws for a failure the event asked for.</summary>
internal sealed class ModelFailureException(int partition, long offset)
    : Exception($"model failure at {partition}/{offset}");
