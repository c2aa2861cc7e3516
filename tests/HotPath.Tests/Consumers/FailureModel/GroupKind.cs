namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>The three kinds of group of a failure-model run.</summary>
internal enum GroupKind
{
    Tolerant,
    Stopper,
    Lossy,
}
