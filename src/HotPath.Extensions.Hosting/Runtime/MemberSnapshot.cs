using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A member the hosting integration started, as the health check sees it.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="State">Its state.</param>
/// <param name="Fault">Why it faulted or failed, or null.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal readonly record struct MemberSnapshot(string MemberId, MemberState State, Exception? Fault);
