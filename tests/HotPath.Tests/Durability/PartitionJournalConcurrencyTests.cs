using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class PartitionJournalConcurrencyTests
{
    private const int EventSize = JournalTestDirectory.EventSize;

    [Fact]
    public void Read_WhileAppenderFlushesAndRolls_SeesOnlyWholeFlushedBatches()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 2048, indexIntervalBytes: 256);
        const long Total = 20_000;
        Exception? readerFailure = null;
        long readerReached = 0;
        var reader = new Thread(() =>
        {
            byte[] buffer = new byte[7 * EventSize];
            try
            {
                long offset = 0;
                while (offset < Total)
                {
                    if (offset >= journal.FlushedEnd)
                    {
                        Thread.Yield();
                        continue;
                    }

                    JournalRun run = journal.Read(offset, buffer);
                    Assert.Equal(offset, run.First);
                    if (!run.IsGap)
                    {
                        Assert.Equal(JournalTestDirectory.Events(offset, run.Count), buffer[..(run.Count * EventSize)]);
                    }

                    offset += run.Count;
                    Volatile.Write(ref readerReached, offset);
                }
            }
            catch (Exception ex)
            {
                readerFailure = ex;
            }
        });
        reader.Start();

        long next = 0;
        int batch = 0;
        while (next < Total)
        {
            batch++;
            if (batch % 11 == 0)
            {
                long gap = Math.Min(3, Total - next);
                journal.AppendGap(next, gap, batch);
                next += gap;
            }
            else
            {
                int count = (int)Math.Min(1 + (batch % 13), Total - next);
                journal.AppendEvents(next, JournalTestDirectory.Events(next, count), batch);
                next += count;
            }

            if (batch % 3 == 0)
            {
                journal.Flush();
            }
        }

        journal.Flush();
        Assert.True(reader.Join(TimeSpan.FromSeconds(60)), $"the reader stalled at {Volatile.Read(ref readerReached)}");
        Assert.Null(readerFailure);
        Assert.True(journal.SegmentCount > 10);
    }
}
