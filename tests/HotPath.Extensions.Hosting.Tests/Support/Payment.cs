namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A second event type, for checks that a group and its topics share one type.</summary>
/// <param name="Id">The payment's id.</param>
public readonly record struct Payment(long Id);
