using System.Globalization;
using System.Text;

namespace HotPath.Demo;

/// <summary>Order numbers and their key form, <c>ORD12345</c> (UTF-8), which is what the partitioner hashes.</summary>
internal static class OrderIds
{
    /// <summary>The first order number: order index 0 is <c>ORD10000</c>.</summary>
    public const int First = 10_000;

    /// <summary>Room for "ORD" and any int.</summary>
    public const int MaxKeyLength = 16;

    private static ReadOnlySpan<byte> Prefix => "ORD"u8;

    /// <summary>The order number of an order index.</summary>
    public static int FromIndex(int index) => First + index;

    /// <summary>The order index of an order number.</summary>
    public static int ToIndex(int orderId) => orderId - First;

    /// <summary>Writes the UTF-8 key <c>ORD12345</c> without allocating; returns its length.</summary>
    public static int WriteKey(int orderId, Span<byte> destination)
    {
        Prefix.CopyTo(destination);
        orderId.TryFormat(destination[Prefix.Length..], out int written, default, CultureInfo.InvariantCulture);
        return Prefix.Length + written;
    }

    /// <summary>The key as text, for display.</summary>
    public static string Format(int orderId)
    {
        Span<byte> key = stackalloc byte[MaxKeyLength];
        return Encoding.UTF8.GetString(key[..WriteKey(orderId, key)]);
    }
}
