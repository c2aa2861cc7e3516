using HotPath.Consumers;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>
/// The checks of a failure-model case against the sequential model, run after the topic completed and every group
/// drained (see <see cref="FailureModelRun"/> for the list): per lossless group and partition, per dead letter, and for
/// the lossy group. Each violation becomes one line of the error list.
/// </summary>
internal sealed class FailureModelChecks(Config config, List<FaultEvent>[] published, List<GroupRun> lossless, GroupRun? lossy)
{
    private readonly Config _config = config;
    private readonly List<FaultEvent>[] _published = published;
    private readonly List<GroupRun> _lossless = lossless;
    private readonly GroupRun? _lossy = lossy;


    public void Check(List<string> errors, PartitionReader<DeadLetter<FaultEvent>> deadLetterReader)
    {
        foreach (GroupRun group in _lossless)
        {
            lock (group.Lock)
            {
                errors.AddRange(group.Errors);
                CheckLossless(group, errors);
                CheckOverlaps(group, errors);
            }
        }

        CheckDeadLetters(deadLetterReader, errors);
        if (_lossy is not null)
        {
            lock (_lossy.Lock)
            {
                errors.AddRange(_lossy.Errors);
                CheckLossy(_lossy, errors);
            }
        }
    }

    private void CheckLossless(GroupRun group, List<string> errors)
    {
        int fenced = group.Members.Count(m => m.State == MemberState.Failed);
        IReadOnlyList<PartitionStats> stats = group.Group.GetStats();
        if (group.Kind == GroupKind.Tolerant && group.Members.FirstOrDefault(m => m.State == MemberState.Faulted) is { } faulted)
        {
            errors.Add($"{group.Name}: member {faulted.MemberId} faulted though the policy is {_config.TolerantAction}: {faulted.Fault}");
        }

        for (int p = 0; p < _config.Partitions; p++)
        {
            string where = $"{group.Name} p{p}";
            List<FaultEvent> model = _published[p];
            var handled = new HashSet<long>();
            var skips = new Dictionary<long, int>();
            var seeks = new List<long>();
            var last = new Dictionary<string, Rec>();
            var dupRanges = new List<(long From, long To, string Cause)>();
            long reach = 0;
            long lastFirst = -1;
            int fenceRuns = 0;
            foreach (Rec rec in group.Logs[p])
            {
                switch (rec.Kind)
                {
                    case RecKind.Seek:
                        seeks.Add(rec.Offset);
                        continue;
                    case RecKind.SeekRejected:
                        seeks.Remove(rec.Offset);
                        continue;
                }

                if (rec.Offset < 0 || rec.Offset >= model.Count)
                {
                    errors.Add($"{where}: {rec.Member} was called for offset {rec.Offset}, outside [0, {model.Count})");
                    continue;
                }

                if (rec.Kind != RecKind.Skip && rec.Id != model[(int)rec.Offset].Id)
                {
                    errors.Add($"{where}/{rec.Offset}: {rec.Member} was handed event {rec.Id}, the model published {model[(int)rec.Offset].Id}");
                }

                if (rec.Kind == RecKind.Success && handled.Add(rec.Offset))
                {
                    if (rec.Offset <= lastFirst)
                    {
                        errors.Add($"{where}: first delivery of {rec.Offset} (by {rec.Member}) after the first delivery of {lastFirst}");
                    }

                    lastFirst = Math.Max(lastFirst, rec.Offset);
                }

                if (rec.Kind == RecKind.Skip)
                {
                    skips[rec.Offset] = skips.GetValueOrDefault(rec.Offset) + 1;
                    if (rec.Attempts != group.MaxAttempts)
                    {
                        errors.Add($"{where}/{rec.Offset}: given up after {rec.Attempts} attempts, MaxAttempts is {group.MaxAttempts}");
                    }
                }

                if (rec.Zombie)
                {
                    continue;
                }

                bool continues = last.TryGetValue(rec.Member, out Rec previous) && previous.Kind switch
                {
                    RecKind.Success or RecKind.Skip => rec.Offset == previous.Offset + 1,
                    RecKind.Throw => rec.Offset == previous.Offset,
                    _ => false,
                };
                if (!continues)
                {
                    long start = rec.Offset;
                    long duplicates = reach - start;
                    int seek = seeks.IndexOf(start);
                    if (duplicates < 0)
                    {
                        errors.Add($"{where}: {rec.Member} starts a run at {start} but the group had only got to {reach}: {-duplicates} events skipped");
                    }
                    else if (duplicates > 0 && seek >= 0)
                    {
                        seeks.RemoveAt(seek);
                        dupRanges.Add((start, reach, "seek"));
                        reach = start;
                    }
                    else if (duplicates > 0 && duplicates <= _config.MaxBatchSize && fenceRuns < fenced)
                    {
                        fenceRuns++;
                        dupRanges.Add((start, reach, "fence"));
                    }
                    else if (duplicates > 0)
                    {
                        errors.Add(
                            $"{where}: {rec.Member} redelivers [{start}, {reach}) ({duplicates} events) with no seek there; " +
                            $"MaxBatchSize {_config.MaxBatchSize}, fenced members {fenced}, redelivery runs charged to fences so far {fenceRuns}");
                    }
                }

                last[rec.Member] = rec;
                if (rec.Kind is RecKind.Success or RecKind.Skip)
                {
                    reach = Math.Max(reach, rec.Offset + 1);
                }
            }

            for (int offset = 0; offset < model.Count; offset++)
            {
                bool givenUp = group.Kind == GroupKind.Tolerant && model[offset].Fault == Fault.Permanent;
                int skipped = skips.GetValueOrDefault(offset);
                if (givenUp && handled.Contains(offset))
                {
                    errors.Add($"{where}/{offset}: a permanent failure was handled");
                }
                else if (givenUp && skipped == 0)
                {
                    errors.Add($"{where}/{offset}: a permanent failure was never given up on (OnSkipped)");
                }
                else if (!givenUp && !handled.Contains(offset))
                {
                    errors.Add($"{where}/{offset}: never handled ({model[offset]})");
                }
                else if (!givenUp && skipped != 0)
                {
                    errors.Add($"{where}/{offset}: given up on, though its retries should succeed ({model[offset]})");
                }

                int covered = dupRanges.Count(r => r.From <= offset && offset < r.To);
                if (skipped > 1 + covered)
                {
                    errors.Add($"{where}/{offset}: given up on {skipped} times, but re-covered only by {covered} redelivery runs");
                }
            }

            PartitionStats s = stats[p];
            long reported = skips.Values.Sum();
            (long skippedStat, long deadLetteredStat) = (s.Skipped, s.DeadLettered);
            (long expectSkipped, long expectDeadLettered) = group.Kind == GroupKind.Tolerant && _config.TolerantAction == ErrorAction.DeadLetter
                ? (0L, reported)
                : (reported, 0L);
            if (skippedStat != expectSkipped || deadLetteredStat != expectDeadLettered)
            {
                errors.Add($"{where}: stats say skipped {skippedStat}, dead-lettered {deadLetteredStat}; OnSkipped reported {reported}");
            }

            if (s.Committed != model.Count)
            {
                errors.Add($"{where}: committed {s.Committed} after completion, end offset {model.Count}");
            }
        }
    }

    private static void CheckOverlaps(GroupRun group, List<string> errors)
    {
        foreach ((string inside, string entering, int partition, long offset) in group.Overlaps)
        {
            if (!group.IsFenced(inside) && !group.IsFenced(entering))
            {
                errors.Add($"{group.Name} p{partition}: {entering} entered the handler at {offset} while {inside} was inside it, and neither was fenced");
            }
        }
    }

    private void CheckDeadLetters(PartitionReader<DeadLetter<FaultEvent>> reader, List<string> errors)
    {
        GroupRun tolerant = _lossless[0];
        var letters = new List<DeadLetter<FaultEvent>>();
        while (reader.TryRead(out DeadLetter<FaultEvent> letter, out _))
        {
            letters.Add(letter);
        }

        var expected = new List<(int, long)>();
        if (_config.TolerantAction == ErrorAction.DeadLetter)
        {
            lock (tolerant.Lock)
            {
                for (int p = 0; p < _config.Partitions; p++)
                {
                    expected.AddRange(tolerant.Logs[p].Where(r => r.Kind == RecKind.Skip).Select(r => (p, r.Offset)));
                }
            }
        }

        var actual = letters.Select(l => (l.Partition, l.Offset)).ToList();
        if (!actual.Order().SequenceEqual(expected.Order()))
        {
            errors.Add($"dead letters [{string.Join(' ', actual.Order())}], given up on [{string.Join(' ', expected.Order())}]");
        }

        foreach (DeadLetter<FaultEvent> letter in letters)
        {
            bool known = letter.Partition >= 0 && letter.Partition < _config.Partitions && letter.Offset >= 0 && letter.Offset < _published[letter.Partition].Count;
            if (!known || letter.Topic != FailureModelRun.TopicName || letter.GroupId != tolerant.Name || letter.Attempts != _config.TolerantAttempts
                || letter.Error is not ModelFailureException || letter.Event != _published[letter.Partition][(int)letter.Offset]
                || letter.Event.Fault != Fault.Permanent)
            {
                errors.Add($"dead letter {letter.Topic}/{letter.Partition}/{letter.Offset} by {letter.GroupId}, {letter.Attempts} attempts, {letter.Event}, {letter.Error.GetType().Name}: not the permanent failure published there");
            }
        }
    }

    private void CheckLossy(GroupRun lossy, List<string> errors)
    {
        IReadOnlyList<PartitionStats> stats = lossy.Group.GetStats();
        for (int p = 0; p < _config.Partitions; p++)
        {
            List<FaultEvent> model = _published[p];
            List<Rec> log = lossy.Logs[p];
            for (int i = 0; i < log.Count; i++)
            {
                if ((i > 0 && log[i].Offset <= log[i - 1].Offset) || log[i].Offset >= model.Count || log[i].Id != model[(int)log[i].Offset].Id)
                {
                    errors.Add($"lossy p{p}: call {i} at offset {log[i].Offset} with event {log[i].Id}, after offset {(i > 0 ? log[i - 1].Offset : -1)}");
                    break;
                }
            }

            if (log.Count + stats[p].Lost != model.Count)
            {
                errors.Add($"lossy p{p}: handled {log.Count} + lost {stats[p].Lost} != published {model.Count}");
            }
        }
    }
}
