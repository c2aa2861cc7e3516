using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Tests.Internal;

public class PaddingTests
{
    [Fact]
    public void PaddedLong_Layout_Has128BytesOnEachSideOfValue()
    {
        var padded = new PaddedLong();
        nint offset = Unsafe.ByteOffset(ref Unsafe.As<PaddedLong, byte>(ref padded), ref Unsafe.As<long, byte>(ref padded.Value));

        Assert.Equal(128, (int)offset);
        Assert.Equal(256, Unsafe.SizeOf<PaddedLong>());
        Assert.True(Unsafe.SizeOf<PaddedLong>() - (int)offset - sizeof(long) >= 120, "at least 120 bytes after the value");
    }

    [Fact]
    public void PaddedLong_InArray_ValuesAre256BytesApart()
    {
        var array = new PaddedLong[2];
        nint distance = Unsafe.ByteOffset(ref array[0].Value, ref array[1].Value);

        Assert.Equal(256, (int)distance);
    }
}
