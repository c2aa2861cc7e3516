using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// Rolls, forces and checkpoints of <see cref="PartitionJournal"/>: sealing the active segment (on the appender, or in
/// the background with <see cref="JournalSettings.SealInBackground"/>), forcing files to stable storage, and the
/// checkpoint that names what was forced.
/// </summary>
internal sealed partial class PartitionJournal
{
    /// <summary>Forces the active segment and its index to stable storage, then writes the checkpoint.</summary>
    private void SyncAndCheckpoint()
    {
        ForceToDisk(Active);
        WriteCheckpoint();
    }

    /// <summary>
    /// Seals the active segment (flushed and forced to stable storage, or with <see cref="JournalSettings.SealInBackground"/>
    /// flushed now and forced by a background task) and starts a new one at the end offset.
    /// </summary>
    private void Roll()
    {
        FlushStaged();
        CompleteSealing();
        // A preallocated segment keeps its reservation past the end (less than one batch: it rolled because the next one
        // did not fit); giving it back here would make XFS write the segment back on the journaller's thread.
        JournalSegment sealedSegment = Active;

        if (_settings.SealInBackground)
        {
            // The index entries are final: written now, forced with the data by the seal.
            PersistIndex(sealedSegment);
        }
        else
        {
            ForceToDisk(sealedSegment);
        }

        JournalSegment next;
        try
        {
            next = JournalSegment.Create(
                Directory,
                _endOffset,
                EventSize,
                _indexCapacity,
                _settings.SealInBackground ? FileHeaderLayout.FlagAfterBackgroundSeal : (byte)0,
                _settings.PreallocateBytes);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw WriteFailed(Path.Combine(Directory, SegmentLayout.SegmentFileName(_endOffset)), e);
        }

        if (!_settings.SealInBackground)
        {
            ForceToDisk(next);
        }

        // Release: the new segment is in the list before any flush into it publishes a flushed end past its base.
        Volatile.Write(ref _segments, [.. _segments, next]);
        _staging.Reset(next.Length);
        if (!_settings.SealInBackground)
        {
            WriteCheckpoint();
            return;
        }

        // The checkpoint the roll would write, written by the seal once what it names is forced. Task.Run publishes the
        // captured state to the pool thread (a full barrier); the appender touches nothing the task writes until it
        // awaited it (CompleteSealing).
        var checkpoint = new JournalCheckpoint(next.BaseOffset, next.Length, _flushedEnd);
        Action<JournalSegment>? beforeSeal = BeforeSealForTest;
        // Files only: the appender writes into the new segment and adds to its index meanwhile (its index entries are
        // written by the appender, after it awaited this); the sealed segment's index was written above.
        _sealing = Task.Run(() =>
        {
            try
            {
                beforeSeal?.Invoke(sealedSegment);
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                throw WriteFailed(sealedSegment.Path, e);
            }

            ForceFilesToDisk(sealedSegment);
            ForceFilesToDisk(next);
            SaveCheckpoint(checkpoint);
        });
    }

    /// <summary>Forces <paramref name="segment"/>'s files to stable storage; a <see cref="JournalException"/> naming the file when refused.</summary>
    private static void ForceToDisk(JournalSegment segment)
    {
        PersistIndex(segment);
        ForceFilesToDisk(segment);
    }

    /// <summary>Forces what was written to <paramref name="segment"/>'s files to stable storage (writes nothing); a <see cref="JournalException"/> naming the file when refused.</summary>
    private static void ForceFilesToDisk(JournalSegment segment)
    {
        try
        {
            segment.FlushToDisk();
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw WriteFailed(segment.Path, e);
        }
    }

    /// <summary>Writes <paramref name="segment"/>'s index entries not yet in its index file; a <see cref="JournalException"/> naming the file when refused.</summary>
    private static void PersistIndex(JournalSegment segment)
    {
        try
        {
            segment.PersistIndex();
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw WriteFailed(segment.IndexPath, e);
        }
    }

    /// <summary>The operating system refused a write or sync of <paramref name="path"/>: the exception naming it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JournalException WriteFailed(string path, Exception e) =>
        e as JournalException ?? new JournalException(
            path,
            $"cannot write the journal file '{path}': {OsError.Describe(e)}; free space on its file system (or raise the file size limit), then reopen the topic",
            e);

    private void WriteCheckpoint() => SaveCheckpoint(new JournalCheckpoint(Active.BaseOffset, _staging.WrittenEnd, _flushedEnd));

    /// <summary>Writes <paramref name="checkpoint"/>, whose bytes were forced, then publishes its end as synced. The appender, or the seal it awaits.</summary>
    private void SaveCheckpoint(JournalCheckpoint checkpoint)
    {
        try
        {
            checkpoint.Save(Directory);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw WriteFailed(Path.Combine(Directory, SegmentLayout.CheckpointFileName), e);
        }

        _checkpoint = checkpoint;
        _checkpointTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        // Release: everything below the checkpoint's end is on stable storage now.
        Volatile.Write(ref _syncedEnd, checkpoint.EndOffset);
    }

    /// <summary>
    /// Waits for the background seal, if one is pending, and rethrows its failure (a <see cref="JournalException"/> naming
    /// the file). The appender.
    /// </summary>
    private void CompleteSealing()
    {
        Task? sealing = _sealing;
        if (sealing is not null)
        {
            _sealing = null;
            try
            {
                sealing.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                // The journal is failed from now on: a later roll, sync or close must not write a checkpoint naming a
                // segment after the one that was never forced.
                _sealFailure = ExceptionDispatchInfo.Capture(e);
                throw;
            }
        }
    }
}
