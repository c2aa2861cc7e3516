namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>One entry of a group's log: a handler call, a give-up, or a seek.</summary>
internal readonly record struct Rec(RecKind Kind, string Member, long Offset, long Id, bool Zombie, int Attempts);
