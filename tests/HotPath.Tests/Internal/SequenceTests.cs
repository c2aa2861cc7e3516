using HotPath.Internal;

namespace HotPath.Tests.Internal;

/// <summary>The sealing protocol of <see cref="Sequence"/>: after a seal, no commit or seek moves the value.</summary>
public class SequenceTests
{
    [Fact]
    public void TryAdvance_FromOwnedValue_MovesValue()
    {
        var sequence = new Sequence(5);

        Assert.True(sequence.TryAdvance(5, 9));

        Assert.Equal(9, sequence.Read());
    }

    [Fact]
    public void Seal_ReturnsLastValueAndLaterCommitsFail()
    {
        var sequence = new Sequence(5);
        Assert.True(sequence.TryAdvance(5, 7));

        long final = sequence.Seal();

        Assert.Equal(7, final);
        Assert.False(sequence.TryAdvance(7, 9));
        Assert.Equal(Sequence.Sealed, sequence.Read());
    }

    [Fact]
    public void TryAdvance_ExpectedIsSealedValue_FailsAndStaysSealed()
    {
        // An owner whose plain read already saw the seal must not "advance" from it.
        var sequence = new Sequence(5);
        sequence.Seal();

        Assert.False(sequence.TryAdvance(Sequence.Sealed, 9));

        Assert.Equal(Sequence.Sealed, sequence.Read());
    }

    [Fact]
    public void TrySet_Sealed_FailsAndStaysSealed()
    {
        var sequence = new Sequence(5);
        sequence.Seal();

        Assert.False(sequence.TrySet(3));

        Assert.Equal(Sequence.Sealed, sequence.Read());
    }

    [Fact]
    public void Seal_RacingCommits_ReturnsExactlyTheLastSuccessfulCommit()
    {
        for (int round = 0; round < 200; round++)
        {
            var sequence = new Sequence(0);
            long lastSucceeded = 0;
            using var start = new Barrier(2);
            var committer = Task.Run(() =>
            {
                start.SignalAndWait();
                for (long next = 1; next < 100_000; next++)
                {
                    if (!sequence.TryAdvance(next - 1, next))
                    {
                        return;
                    }

                    Volatile.Write(ref lastSucceeded, next);
                }
            });

            start.SignalAndWait();
            Thread.SpinWait(round * 50);
            long final = sequence.Seal();
            Assert.True(committer.Wait(TimeSpan.FromSeconds(30)));

            Assert.Equal(Volatile.Read(ref lastSucceeded), final);
            Assert.Equal(Sequence.Sealed, sequence.Read());
        }
    }
}
