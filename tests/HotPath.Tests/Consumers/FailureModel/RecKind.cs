namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>What one entry of a group's log records.</summary>
internal enum RecKind
{
    Success,
    Throw,
    Skip,
    Seek,
    SeekRejected,
}
