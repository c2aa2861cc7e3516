using System.Diagnostics;
using Xunit.Sdk;

namespace HotPath.Tests.Support;

/// <summary>
/// The step loop of the model-based runs: applies each operation and the check after it, then the final check; a failure
/// is rethrown naming the operation (its index and its text) or the final check, and where the run stood.
/// </summary>
internal static class ModelSteps
{
    /// <summary>Runs <paramref name="ops"/> through <paramref name="apply"/> and <paramref name="afterEach"/>, then <paramref name="finish"/>.</summary>
    /// <param name="ops">The operations, in order.</param>
    /// <param name="apply">Applies one operation.</param>
    /// <param name="afterEach">The invariant checked after every operation.</param>
    /// <param name="finish">The final step and its checks.</param>
    /// <param name="where">Where the run stands, for the message (e.g. " in session 2"), or an empty string.</param>
    public static void Run<TOp>(IReadOnlyList<TOp> ops, Action<TOp> apply, Action afterEach, Action finish, Func<string> where)
    {
        for (int i = 0; i < ops.Count; i++)
        {
            TOp op = ops[i];
            try
            {
                apply(op);
                afterEach();
            }
            catch (Exception ex) when (ex is not StepFailedException)
            {
                throw new StepFailedException($"operation {i} ({op}){where()} failed: {ex.Message}", ex);
            }
        }

        try
        {
            finish();
        }
        catch (Exception ex) when (ex is not StepFailedException)
        {
            throw new StepFailedException($"final check{where()} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Offsets with runs of consecutive ones compressed, for failure messages: [0..11, 4..11, 12..15].</summary>
    public static string DescribeRuns(List<long> offsets)
    {
        var runs = new List<string>();
        for (int i = 0; i < offsets.Count;)
        {
            int j = i;
            while (j + 1 < offsets.Count && offsets[j + 1] == offsets[j] + 1)
            {
                j++;
            }

            runs.Add(i == j ? $"{offsets[i]}" : $"{offsets[i]}..{offsets[j]}");
            i = j + 1;
        }

        return $"[{string.Join(", ", runs)}]";
    }

    /// <summary>Polls <paramref name="condition"/> every millisecond; fails naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static void WaitUntil(Func<bool> condition, string what, TimeSpan timeout)
    {
        long start = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(start) > timeout)
            {
                throw new XunitException($"timed out after {timeout.TotalSeconds} s waiting for {what}");
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>A step of a model run failed; the message names it.</summary>
    private sealed class StepFailedException(string message, Exception inner) : XunitException(message, inner);
}
