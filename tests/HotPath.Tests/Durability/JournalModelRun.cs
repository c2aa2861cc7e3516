using HotPath.Durability;
using Xunit.Sdk;

namespace HotPath.Tests.Durability;

/// <summary>
/// Runs a <see cref="JournalScenario"/> against a real <see cref="PartitionJournal"/> while keeping a sequential model:
/// one entry per offset, its payload or null for a gap, plus the model's length at the last flush and at the last sync.
/// After every reopen the journal must hold exactly a prefix of the model that includes everything up to the last
/// flush (or up to the last sync when bytes were chopped off the tail), reads must return the model's payloads, and
/// appends continue from the journal's end offset (the model drops what the crash lost).
/// </summary>
internal sealed class JournalModelRun : IDisposable
{
    private readonly JournalScenario _scenario;
    private readonly JournalTestDirectory _dir = new();
    private readonly List<byte[]?> _model = [];
    private readonly Random _random;
    private PartitionJournal _journal;
    private int _flushedFloor;
    private int _syncedFloor;
    private long _salt;

    public JournalModelRun(JournalScenario scenario)
    {
        _scenario = scenario;
        _random = new Random((scenario.Ops.Length * 31) + scenario.SegmentBytes + scenario.IndexIntervalBytes);
        _journal = Open();
    }

    public void Execute()
    {
        int step = 0;
        foreach (JournalScenario.Op op in _scenario.Ops)
        {
            step++;
            try
            {
                Apply(op);
            }
            catch (Exception ex) when (ex is not XunitException)
            {
                throw new XunitException($"step {step} ({op}) of {_scenario.SegmentBytes}/{_scenario.IndexIntervalBytes}/{(_scenario.SealInBackground ? "background seal" : "seal on roll")}/chunk {_scenario.ChunkBytes}: {ex}");
            }
        }

        _journal.Flush();
        CheckContents();
    }

    private void Apply(JournalScenario.Op op)
    {
        switch (op)
        {
            case JournalScenario.Append append:
                byte[] events = JournalTestDirectory.Events(_model.Count, append.Count, ++_salt);
                _journal.AppendEvents(_model.Count, events, _salt);
                for (int i = 0; i < append.Count; i++)
                {
                    _model.Add(events.AsSpan(i * JournalTestDirectory.EventSize, JournalTestDirectory.EventSize).ToArray());
                }

                break;
            case JournalScenario.Gap gap:
                _journal.AppendGap(_model.Count, gap.Count, ++_salt);
                _model.AddRange(Enumerable.Repeat<byte[]?>(null, gap.Count));
                break;
            case JournalScenario.Flush:
                _journal.Flush();
                _flushedFloor = _model.Count;
                Assert.Equal(_model.Count, _journal.FlushedEnd);
                break;
            case JournalScenario.FlushChunks:
                long before = _journal.FlushedEnd;
                _journal.FlushChunks();
                Assert.InRange(_journal.FlushedEnd, before, _model.Count);
                _flushedFloor = (int)_journal.FlushedEnd;
                break;
            case JournalScenario.Sync:
                _journal.Sync();
                _flushedFloor = _syncedFloor = _model.Count;
                Assert.Equal(_model.Count, _journal.SyncedEnd);
                break;
            case JournalScenario.ReopenClean:
                _journal.Dispose();
                _journal = Open();
                Assert.False(_journal.Recovery.Truncated, _journal.Recovery.ToString());
                AfterReopen(floor: _model.Count);
                break;
            case JournalScenario.Crash crash:
                Crash(crash.ChopBytes);
                break;
        }
    }

    private void Crash(int chopBytes)
    {
        // After the close, which waits for a pending background seal: the checkpoint is the last one written.
        _journal.AbandonForTest();
        JournalCheckpoint checkpoint = _journal.Checkpoint;
        int floor = _flushedFloor;
        if (chopBytes > 0)
        {
            string last = _dir.SegmentPath(checkpoint.SegmentBase);
            long length = new FileInfo(last).Length;
            long cut = Math.Min(chopBytes, length - checkpoint.Position);
            if (cut > 0)
            {
                using FileStream file = File.OpenWrite(last);
                file.SetLength(length - cut);
                floor = _syncedFloor;
            }
        }

        _journal = Open();
        AfterReopen(floor);
    }

    private void AfterReopen(int floor)
    {
        long end = _journal.EndOffset;
        Assert.True(end >= floor && end <= _model.Count, $"after reopen the journal ends at {end}, outside [{floor}, {_model.Count}]: {_journal.Recovery}");
        Assert.Equal(end, _journal.FlushedEnd);
        Assert.Equal(end, _journal.SyncedEnd);
        Assert.Equal(0, _journal.StartOffset);
        _model.RemoveRange((int)end, _model.Count - (int)end);
        _flushedFloor = _syncedFloor = _model.Count;
        CheckContents();
    }

    private void CheckContents()
    {
        int bufferEvents = _random.Next(1, 9);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(_journal, bufferEvents);
        Assert.Equal(_model.Count, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.True(
                _model[i] is null ? entries[i] is null : entries[i] is not null && _model[i]!.AsSpan().SequenceEqual(entries[i]),
                $"offset {i}: the journal's entry differs from the model's");
        }
    }

    private PartitionJournal Open() =>
        _dir.Open(_scenario.SegmentBytes, _scenario.IndexIntervalBytes, sealInBackground: _scenario.SealInBackground, chunkBytes: _scenario.ChunkBytes);

    public void Dispose()
    {
        _journal.Dispose();
        _dir.Dispose();
    }
}
