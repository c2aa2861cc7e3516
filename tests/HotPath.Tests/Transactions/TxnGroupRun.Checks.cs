using System.Text;
using HotPath.Consumers;
using HotPath.Tests.Support;
using static HotPath.Tests.Transactions.TxnGroupScenario;

namespace HotPath.Tests.Transactions;

/// <content>The final checks against the model, and the report of a failed case.</content>
internal sealed partial class TxnGroupRun
{
    private void Check(PartitionReader<TestEvent>[] committed, PartitionReader<TestEvent>[] uncommitted)
    {
        ReadOutputs();
        List<(long Id, int Input, int Output)> seen = _seen;
        for (int q = 0; q < committed.Length; q++)
        {
            long all = 0;
            while (uncommitted[q].TryRead(out _, out _))
            {
                all++;
            }

            Trace($"output partition {q}: {seen.Count(s => s.Output == q)} committed, {committed[q].Aborted} aborted offsets, {all} published");
            if (_output[q].LastStableOffset != _output[q].EndOffset)
            {
                _errors.Add($"output partition {q}: a transaction is still open (last stable offset {_output[q].LastStableOffset}, end {_output[q].EndOffset})");
            }
        }

        for (int p = 0; p < _published.Length; p++)
        {
            long[] expected = [.. _published[p].Where(e => e.Fault != Fault.Poison).Select(e => e.Id)];
            long[] actual = [.. seen.Where(s => s.Input == p).Select(s => s.Id)];
            if (!actual.SequenceEqual(expected))
            {
                var duplicates = actual.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}");
                var skipped = _published[p].Where(e => e.Fault == Fault.Poison).Select(e => e.Id).ToHashSet();
                _errors.Add(
                    $"input partition {p}: read-committed outputs [{string.Join(' ', actual)}], the model expects [{string.Join(' ', expected)}]; " +
                    $"missing [{string.Join(' ', expected.Except(actual))}], duplicated [{string.Join(' ', duplicates)}], " +
                    $"of skipped inputs [{string.Join(' ', actual.Where(skipped.Contains).Distinct())}]");
            }

            long end = _input[p].EndOffset;
            long offset = _group.GetCommittedOffset(InputName, p);
            if (offset != end)
            {
                _errors.Add($"input partition {p}: the committed offset is {offset}, the end offset {end}");
            }
        }
    }

    private string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine($"{_errors.Count} model violation(s):");
        foreach (string error in _errors.Take(20))
        {
            text.AppendLine($"  - {error}");
        }

        text.AppendLine($"case: {scenario}");
        for (int p = 0; p < _published.Length; p++)
        {
            text.AppendLine($"input partition {p}: {string.Join(' ', _published[p].Select(e => e.Fault == Fault.None ? $"{e.Id}" : $"{e.Id}{e.Fault.ToString()[0]}"))}");
        }

        text.AppendLine("trace:");
        lock (_lock)
        {
            foreach (string line in _trace)
            {
                text.AppendLine($"  {line}");
            }
        }

        return text.ToString();
    }
}
