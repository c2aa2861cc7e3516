namespace HotPath.Tests.Support;

/// <summary>Shrinking of the model-based scenarios' operation lists, shared by their <c>Shrink</c> methods.</summary>
internal static class ModelShrink
{
    /// <summary>
    /// The operation list without one chunk of it: halves first, then quarters, down to single operations, so that the
    /// shrinker tries the big cuts before the small ones.
    /// </summary>
    public static IEnumerable<TOp[]> WithoutChunks<TOp>(TOp[] ops)
    {
        for (int chunk = ops.Length / 2; chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start + chunk <= ops.Length; start += chunk)
            {
                yield return [.. ops[..start], .. ops[(start + chunk)..]];
            }
        }
    }
}
