namespace HotPath.Demo;

/// <summary>The fixed product table; events carry an index into it.</summary>
internal static class Products
{
    /// <summary>Product names, by index.</summary>
    public static IReadOnlyList<string> Names { get; } = ["keyboard", "mouse", "monitor", "laptop", "headset", "webcam", "dock", "cable"];
}
