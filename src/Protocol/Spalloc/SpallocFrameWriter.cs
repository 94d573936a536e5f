using System.Buffers;
using System.Text.Unicode;
using FastSpinnRelay.Protocol.Internal;
using FastSpinnRelay.Protocol.Spalloc.Internal;

namespace FastSpinnRelay.Protocol.Spalloc;

/// <summary>
/// Writes every Spalloc proxy frame, both directions, into a caller's buffer. Each method returns false, with
/// <c>bytesWritten</c> = 0, when the destination is too small; arguments out of range (a port outside 1–65535, an
/// IPv4 address that is not 4 bytes) are caller bugs and throw.
/// </summary>
public static class SpallocFrameWriter
{
    /// <summary>Bytes before the payload of a MSG frame (op, channel).</summary>
    public const int MessageHeaderLength = SpallocLayout.MessageHeaderLength;

    /// <summary>Bytes before the payload of a MSG_TO frame (op, channel, x, y, port).</summary>
    public const int MessageToHeaderLength = SpallocLayout.MessageToHeaderLength;

    /// <summary>Longest ERROR text written, in UTF-8 bytes; longer text is cut at a character boundary.</summary>
    public const int MaxErrorTextLength = 1000;

    /// <summary>Client → server OPEN (20 bytes): open a channel to <paramref name="port"/> on the board at (x, y).</summary>
    public static bool TryWriteOpen(Span<byte> destination, uint correlationId, uint chipX, uint chipY, uint port, out int bytesWritten)
    {
        CheckPort(port);
        return TryWriteWords(destination, SpallocLayout.OpenLength, [(uint)SpallocOp.Open, correlationId, chipX, chipY, port], out bytesWritten);
    }

    /// <summary>Client → server CLOSE (12 bytes).</summary>
    public static bool TryWriteClose(Span<byte> destination, uint correlationId, uint channelId, out int bytesWritten) =>
        TryWriteWords(destination, SpallocLayout.CloseLength, [(uint)SpallocOp.Close, correlationId, channelId], out bytesWritten);

    /// <summary>Client → server OPEN_UNBOUND (8 bytes).</summary>
    public static bool TryWriteOpenUnbound(Span<byte> destination, uint correlationId, out int bytesWritten) =>
        TryWriteWords(destination, SpallocLayout.OpenUnboundLength, [(uint)SpallocOp.OpenUnbound, correlationId], out bytesWritten);

    /// <summary>Server → client OPEN reply (12 bytes).</summary>
    public static bool TryWriteOpenReply(Span<byte> destination, uint correlationId, uint channelId, out int bytesWritten) =>
        TryWriteWords(destination, SpallocLayout.OpenReplyLength, [(uint)SpallocOp.Open, correlationId, channelId], out bytesWritten);

    /// <summary>Server → client CLOSE reply (12 bytes); <paramref name="channelId"/> 0 says the channel was not open.</summary>
    public static bool TryWriteCloseReply(Span<byte> destination, uint correlationId, uint channelId, out int bytesWritten) =>
        TryWriteWords(destination, SpallocLayout.CloseReplyLength, [(uint)SpallocOp.Close, correlationId, channelId], out bytesWritten);

    /// <summary>
    /// Server → client OPEN_UNBOUND reply (20 bytes): the server-side address of the new channel.
    /// <paramref name="ipv4Address"/> is 4 bytes in network order (e.g. <c>[127, 0, 0, 1]</c>).
    /// </summary>
    public static bool TryWriteOpenUnboundReply(
        Span<byte> destination, uint correlationId, uint channelId, ReadOnlySpan<byte> ipv4Address, uint port, out int bytesWritten)
    {
        if (ipv4Address.Length != SpallocLayout.Ipv4Length)
        {
            CallerBug.Argument(nameof(ipv4Address), "An IPv4 address is 4 bytes.");
        }

        CheckPort(port);
        if (!TryWriteWords(destination, SpallocLayout.OpenUnboundReplyLength, [(uint)SpallocOp.OpenUnbound, correlationId, channelId], out bytesWritten))
        {
            return false;
        }

        ipv4Address.CopyTo(destination[SpallocLayout.Word3..]);
        SpallocLayout.WriteWord(destination, SpallocLayout.Word4, port);
        return true;
    }

    /// <summary>MSG, either direction: one datagram on <paramref name="channelId"/>, 8 bytes + the payload.</summary>
    public static bool TryWriteMessage(Span<byte> destination, uint channelId, ReadOnlySpan<byte> payload, out int bytesWritten)
    {
        if (!TryWriteWords(destination, MessageHeaderLength + payload.Length, [(uint)SpallocOp.Message, channelId], out bytesWritten))
        {
            return false;
        }

        payload.CopyTo(destination[MessageHeaderLength..]);
        return true;
    }

    /// <summary>
    /// Writes only the 8-byte MSG header, so a datagram can be received straight into
    /// <c>destination[MessageHeaderLength..]</c> with no copy. False when the destination is shorter than 8 bytes.
    /// </summary>
    public static bool TryWriteMessageHeader(Span<byte> destination, uint channelId) =>
        TryWriteWords(destination, MessageHeaderLength, [(uint)SpallocOp.Message, channelId], out _);

    /// <summary>Client → server MSG_TO: one datagram on an unbound channel to <paramref name="port"/> on the board at (x, y).</summary>
    public static bool TryWriteMessageTo(
        Span<byte> destination, uint channelId, uint chipX, uint chipY, uint port, ReadOnlySpan<byte> payload, out int bytesWritten)
    {
        CheckPort(port);
        if (!TryWriteWords(
            destination, MessageToHeaderLength + payload.Length, [(uint)SpallocOp.MessageTo, channelId, chipX, chipY, port], out bytesWritten))
        {
            return false;
        }

        payload.CopyTo(destination[MessageToHeaderLength..]);
        return true;
    }

    /// <summary>
    /// Writes only the 20-byte MSG_TO header, so a datagram can be placed at <c>destination[MessageToHeaderLength..]</c>
    /// with no copy. False when the destination is shorter than 20 bytes.
    /// </summary>
    public static bool TryWriteMessageToHeader(Span<byte> destination, uint channelId, uint chipX, uint chipY, uint port)
    {
        CheckPort(port);
        return TryWriteWords(destination, MessageToHeaderLength, [(uint)SpallocOp.MessageTo, channelId, chipX, chipY, port], out _);
    }

    /// <summary>
    /// Server → client ERROR: the correlation ID and <paramref name="messageUtf8"/>, cut to at most
    /// <see cref="MaxErrorTextLength"/> bytes at a UTF-8 character boundary. The text is sent as given: keep peer
    /// bytes out of it, or escape them first.
    /// </summary>
    public static bool TryWriteError(Span<byte> destination, uint correlationId, ReadOnlySpan<byte> messageUtf8, out int bytesWritten)
    {
        ReadOnlySpan<byte> text = messageUtf8.Length <= MaxErrorTextLength ? messageUtf8 : messageUtf8[..Utf8Boundary(messageUtf8, MaxErrorTextLength)];
        if (!TryWriteWords(destination, SpallocLayout.ErrorHeaderLength + text.Length, [(uint)SpallocOp.Error, correlationId], out bytesWritten))
        {
            return false;
        }

        text.CopyTo(destination[SpallocLayout.ErrorHeaderLength..]);
        return true;
    }

    /// <summary>
    /// Server → client ERROR with <paramref name="message"/> encoded as UTF-8 (unpaired surrogates become U+FFFD),
    /// cut to at most <see cref="MaxErrorTextLength"/> bytes at a character boundary.
    /// </summary>
    public static bool TryWriteError(Span<byte> destination, uint correlationId, ReadOnlySpan<char> message, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < SpallocLayout.ErrorHeaderLength)
        {
            return false;
        }

        Span<byte> window = destination[SpallocLayout.ErrorHeaderLength..];
        bool windowIsTheLimit = window.Length >= MaxErrorTextLength;
        OperationStatus status = Utf8.FromUtf16(message, windowIsTheLimit ? window[..MaxErrorTextLength] : window, out _, out int written);
        if (status == OperationStatus.DestinationTooSmall && !windowIsTheLimit)
        {
            return false;
        }

        return TryWriteWords(destination, SpallocLayout.ErrorHeaderLength + written, [(uint)SpallocOp.Error, correlationId], out bytesWritten);
    }

    private static int Utf8Boundary(ReadOnlySpan<byte> text, int limit)
    {
        int end = limit;
        while (end > 0 && (text[end] & 0xC0) == 0x80)
        {
            end--; // text[end] continues the character that straddles the limit: cut before that character
        }

        return end;
    }

    private static void CheckPort(uint port)
    {
        if (!SpallocLayout.IsValidPort(port))
        {
            CallerBug.ArgumentOutOfRange(nameof(port), "A UDP port must be 1-65535.");
        }
    }

    /// <summary>
    /// Checks that a <paramref name="length"/>-byte frame fits, then writes <paramref name="words"/> (op first) from
    /// offset 0; whatever follows the words is the caller's to fill.
    /// </summary>
    private static bool TryWriteWords(Span<byte> destination, int length, ReadOnlySpan<uint> words, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < length)
        {
            return false;
        }

        for (int i = 0; i < words.Length; i++)
        {
            SpallocLayout.WriteWord(destination, i * SpallocLayout.WordLength, words[i]);
        }

        bytesWritten = length;
        return true;
    }
}
