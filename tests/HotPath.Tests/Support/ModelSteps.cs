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

    /// <summary>A step of a model run failed; the message names it.</summary>
    private sealed class StepFailedException(string message, Exception inner) : XunitException(message, inner);
}
