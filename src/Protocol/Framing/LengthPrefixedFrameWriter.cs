using System.Buffers;
using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Framing;

/// <summary>
/// Writes spinnaker_proxy's TCP framing: a 4-byte big-endian length, then the datagram (see
/// <see cref="LengthPrefixedFrameReader"/>). An empty datagram is written as a zero length and no payload.
/// </summary>
public static class LengthPrefixedFrameWriter
{
    /// <summary>Size of the length prefix in bytes.</summary>
    public const int HeaderLength = LengthPrefixedFrameReader.HeaderLength;

    /// <summary>Writes prefix and payload; false, with <paramref name="bytesWritten"/> = 0, when they do not fit.</summary>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> payload, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length - HeaderLength < payload.Length)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payload.Length);
        payload.CopyTo(destination[HeaderLength..]);
        bytesWritten = HeaderLength + payload.Length;
        return true;
    }

    /// <summary>
    /// Writes only the prefix for a <paramref name="payloadLength"/>-byte payload, so a datagram can be received
    /// straight into <c>destination[HeaderLength..]</c>. False when <paramref name="destination"/> is shorter than 4 bytes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public static bool TryWriteHeader(Span<byte> destination, int payloadLength)
    {
        if (payloadLength < 0)
        {
            CallerBug.ArgumentOutOfRange(nameof(payloadLength), "A payload length cannot be negative.");
        }

        if (destination.Length < HeaderLength)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
        return true;
    }

    /// <summary>Appends prefix and payload to <paramref name="writer"/> (e.g. a PipeWriter) as one contiguous block.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int length = HeaderLength + payload.Length;
        Span<byte> destination = writer.GetSpan(length);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payload.Length);
        payload.CopyTo(destination[HeaderLength..]);
        writer.Advance(length);
    }
}
