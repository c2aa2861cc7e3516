namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>The tests' event: an id that says which event it is, so that handlers can count each one.</summary>
/// <param name="Id">The event's id, 0 to n - 1 in publish order.</param>
public readonly record struct Order(long Id);
