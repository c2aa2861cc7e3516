namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>The fate an event carries (see <see cref="FailureModelRun"/>).</summary>
public enum Fault : byte
{
    None,
    Transient,
    Permanent,
    Crash,
    Hang,
}
