using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Internal;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// Writes tunnel frames (layouts on <c>Internal/TunnelLayout</c>) into a caller's span. Every method returns false,
/// with <c>bytesWritten</c> = 0, when the frame does not fit, and throws only for caller bugs (values out of range).
/// </summary>
public static class TunnelFrameWriter
{
    /// <summary>Frame length of a DATA frame carrying <paramref name="datagramLength"/> bytes.</summary>
    public static int DataFrameLength(int datagramLength) => TunnelDataFrame.HeaderLength + datagramLength;

    /// <summary>Writes HELLO with the client's version range, method, features and 32-byte nonce.</summary>
    public static bool TryWriteHello(
        Span<byte> destination, byte minVersion, byte maxVersion, TunnelAuthMethod method, TunnelFeatures features,
        ReadOnlySpan<byte> clientNonce, out int bytesWritten)
    {
        if (minVersion == 0 || maxVersion < minVersion)
        {
            CallerBug.ArgumentOutOfRange(nameof(maxVersion), "Versions start at 1 and the maximum is at least the minimum.");
        }

        CheckMethod(method);
        CheckLength(clientNonce, TunnelLayout.NonceLength, nameof(clientNonce));
        if (!Begin(destination, TunnelHello.Length, TunnelFrameType.Hello, 0, 0, out bytesWritten))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[TunnelLayout.HelloMagicOffset..], TunnelLayout.Magic);
        destination[TunnelLayout.HelloMinVersionOffset] = minVersion;
        destination[TunnelLayout.HelloMaxVersionOffset] = maxVersion;
        destination[TunnelLayout.HelloAuthMethodOffset] = (byte)method;
        destination[TunnelLayout.HelloFeaturesOffset] = (byte)features;
        clientNonce.CopyTo(destination[TunnelLayout.HelloNonceOffset..]);
        return true;
    }

    /// <summary>
    /// Writes CHALLENGE. <paramref name="serverProof"/> may be empty, to be filled in later at
    /// <c>destination[TunnelChallenge.Length - 32 ..]</c> once the proven part (written here) is hashed; it is then zeros.
    /// </summary>
    public static bool TryWriteChallenge(
        Span<byte> destination, byte version, TunnelAuthMethod method, TunnelFeatures features,
        ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> serverProof, out int bytesWritten)
    {
        if (version == 0)
        {
            CallerBug.ArgumentOutOfRange(nameof(version), "Versions start at 1.");
        }

        CheckMethod(method);
        CheckLength(serverNonce, TunnelLayout.NonceLength, nameof(serverNonce));
        if (!serverProof.IsEmpty)
        {
            CheckLength(serverProof, TunnelLayout.ProofLength, nameof(serverProof));
        }

        if (!Begin(destination, TunnelChallenge.Length, TunnelFrameType.Challenge, 0, 0, out bytesWritten))
        {
            return false;
        }

        destination[TunnelLayout.ChallengeVersionOffset] = version;
        destination[TunnelLayout.ChallengeAuthMethodOffset] = (byte)method;
        destination[TunnelLayout.ChallengeFeaturesOffset] = (byte)features;
        destination[TunnelLayout.ChallengeReservedOffset] = 0;
        serverNonce.CopyTo(destination[TunnelLayout.ChallengeNonceOffset..]);
        Span<byte> proof = destination.Slice(TunnelLayout.ChallengeProofOffset, TunnelLayout.ProofLength);
        if (serverProof.IsEmpty)
        {
            proof.Clear();
        }
        else
        {
            serverProof.CopyTo(proof);
        }

        return true;
    }

    /// <summary>
    /// Writes AUTH. <paramref name="clientProof"/> may be empty, to be filled in later at
    /// <c>destination[8..40]</c> once the proven fields (written here) are hashed; it is then zeros.
    /// </summary>
    public static bool TryWriteAuth(
        Span<byte> destination, ReadOnlySpan<byte> clientProof, ReadOnlySpan<byte> sessionId, ulong nextExpected, out int bytesWritten)
    {
        if (!clientProof.IsEmpty)
        {
            CheckLength(clientProof, TunnelLayout.ProofLength, nameof(clientProof));
        }

        CheckLength(sessionId, TunnelLayout.SessionIdLength, nameof(sessionId));
        if (!Begin(destination, TunnelAuth.Length, TunnelFrameType.Auth, 0, 0, out bytesWritten))
        {
            return false;
        }

        Span<byte> proof = destination.Slice(TunnelLayout.AuthProofOffset, TunnelLayout.ProofLength);
        if (clientProof.IsEmpty)
        {
            proof.Clear();
        }
        else
        {
            clientProof.CopyTo(proof);
        }

        sessionId.CopyTo(destination[TunnelLayout.AuthSessionIdOffset..]);
        BinaryPrimitives.WriteUInt64BigEndian(destination[TunnelLayout.AuthNextExpectedOffset..], nextExpected);
        return true;
    }

    /// <summary>Writes WELCOME with the session id, the server's next expected sequence number and the resumed flag.</summary>
    public static bool TryWriteWelcome(Span<byte> destination, ReadOnlySpan<byte> sessionId, ulong nextExpected, bool resumed, out int bytesWritten)
    {
        CheckLength(sessionId, TunnelLayout.SessionIdLength, nameof(sessionId));
        byte flags = resumed ? TunnelLayout.WelcomeResumedFlag : (byte)0;
        if (!Begin(destination, TunnelWelcome.Length, TunnelFrameType.Welcome, flags, 0, out bytesWritten))
        {
            return false;
        }

        sessionId.CopyTo(destination[TunnelLayout.WelcomeSessionIdOffset..]);
        BinaryPrimitives.WriteUInt64BigEndian(destination[TunnelLayout.WelcomeNextExpectedOffset..], nextExpected);
        return true;
    }

    /// <summary>Writes ERROR; <paramref name="asciiText"/> beyond 120 bytes is cut off.</summary>
    /// <exception cref="ArgumentException">The text has a byte outside printable ASCII (0x20–0x7E).</exception>
    public static bool TryWriteError(Span<byte> destination, TunnelErrorCode code, ReadOnlySpan<byte> asciiText, out int bytesWritten)
    {
        if (!TunnelFrameChecks.IsPrintableAscii(asciiText))
        {
            CallerBug.Argument(nameof(asciiText), "ERROR text must be printable ASCII.");
        }

        ReadOnlySpan<byte> text = asciiText[..Math.Min(asciiText.Length, TunnelErrorFrame.MaxTextLength)];
        if (!Begin(destination, TunnelErrorFrame.MinLength + text.Length, TunnelFrameType.Error, 0, 0, out bytesWritten))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[TunnelLayout.ErrorCodeOffset..], (ushort)code);
        text.CopyTo(destination[TunnelLayout.ErrorTextOffset..]);
        return true;
    }

    /// <summary>Writes OPEN. <paramref name="address"/> is empty (family 0), 4 bytes (IPv4) or 16 bytes (IPv6).</summary>
    public static bool TryWriteOpen(
        Span<byte> destination, ushort channel, ulong sequence, TunnelChannelKind kind, ushort port, ReadOnlySpan<byte> address,
        out int bytesWritten)
    {
        CheckChannel(channel);
        if (!TunnelFrameChecks.IsChannelKind((byte)kind))
        {
            CallerBug.ArgumentOutOfRange(nameof(kind), "Unknown channel kind.");
        }

        byte family = address.Length switch
        {
            0 => 0,
            4 => 4,
            16 => 6,
            _ => ThrowAddressLength(),
        };
        if (!Begin(destination, TunnelOpenFrame.MinLength + address.Length, TunnelFrameType.Open, 0, channel, out bytesWritten))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination[TunnelLayout.SequenceOffset..], sequence);
        destination[TunnelLayout.OpenKindOffset] = (byte)kind;
        destination[TunnelLayout.OpenFamilyOffset] = family;
        BinaryPrimitives.WriteUInt16BigEndian(destination[TunnelLayout.OpenPortOffset..], port);
        address.CopyTo(destination[TunnelLayout.OpenAddressOffset..]);
        return true;
    }

    /// <summary>Writes CLOSE.</summary>
    public static bool TryWriteClose(Span<byte> destination, ushort channel, ulong sequence, TunnelErrorCode code, out int bytesWritten)
    {
        CheckChannel(channel);
        if (!Begin(destination, TunnelCloseFrame.Length, TunnelFrameType.Close, 0, channel, out bytesWritten))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination[TunnelLayout.SequenceOffset..], sequence);
        BinaryPrimitives.WriteUInt16BigEndian(destination[TunnelLayout.CloseCodeOffset..], (ushort)code);
        return true;
    }

    /// <summary>Writes DATA: header, sequence number, gap, then the datagram.</summary>
    public static bool TryWriteData(
        Span<byte> destination, ushort channel, ulong sequence, uint gapMicroseconds, ReadOnlySpan<byte> datagram, out int bytesWritten)
    {
        CheckChannel(channel);
        CheckDatagram(datagram.Length);
        if (!Begin(destination, DataFrameLength(datagram.Length), TunnelFrameType.Data, 0, channel, out bytesWritten))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination[TunnelLayout.SequenceOffset..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[TunnelLayout.DataGapOffset..], gapMicroseconds);
        datagram.CopyTo(destination[TunnelLayout.DataPayloadOffset..]);
        return true;
    }

    /// <summary>Writes ACK, PING or PONG with its u64 value.</summary>
    public static bool TryWriteValue(Span<byte> destination, TunnelFrameType type, ulong value, out int bytesWritten)
    {
        if (type is not (TunnelFrameType.Ack or TunnelFrameType.Ping or TunnelFrameType.Pong))
        {
            CallerBug.ArgumentOutOfRange(nameof(type), "Only ACK, PING and PONG carry a single value.");
        }

        if (!Begin(destination, TunnelValueFrame.Length, type, 0, 0, out bytesWritten))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination[TunnelLayout.ValueOffset..], value);
        return true;
    }

    /// <summary>Writes an uncompressed BATCH around <paramref name="records"/> (see <see cref="TunnelBatchRecords"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="records"/> is empty.</exception>
    public static bool TryWriteBatch(Span<byte> destination, ReadOnlySpan<byte> records, out int bytesWritten)
    {
        if (records.IsEmpty)
        {
            CallerBug.Argument(nameof(records), "A batch holds at least one record.");
        }

        if (!Begin(destination, TunnelFrameHeader.Length + records.Length, TunnelFrameType.Batch, 0, 0, out bytesWritten))
        {
            return false;
        }

        records.CopyTo(destination[TunnelFrameHeader.Length..]);
        return true;
    }

    /// <summary>
    /// Writes the header of an uncompressed BATCH whose <paramref name="recordsLength"/> bytes of records are already in
    /// place at <c>destination[TunnelFrameHeader.Length..]</c> (written there by the caller), so the records are copied
    /// once. False when <paramref name="destination"/> is shorter than the whole frame.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="recordsLength"/> is not positive.</exception>
    public static bool TryWriteBatchHeader(Span<byte> destination, int recordsLength, out int bytesWritten)
    {
        if (recordsLength <= 0)
        {
            CallerBug.ArgumentOutOfRange(nameof(recordsLength), "A batch holds at least one record.");
        }

        return Begin(destination, TunnelFrameHeader.Length + recordsLength, TunnelFrameType.Batch, 0, 0, out bytesWritten);
    }

    /// <summary>
    /// Writes the 12 bytes that precede the LZ4 block of a compressed BATCH (header with flag bit 0, raw length), for a
    /// block of <paramref name="blockLength"/> bytes compressed straight into <c>destination[12..]</c>.
    /// </summary>
    public static bool TryWriteCompressedBatchHeader(Span<byte> destination, int rawLength, int blockLength)
    {
        if (rawLength <= 0 || blockLength <= 0)
        {
            CallerBug.ArgumentOutOfRange(nameof(blockLength), "A compressed batch has a positive raw length and block length.");
        }

        if (destination.Length < TunnelBatchFrame.CompressedHeaderLength)
        {
            return false;
        }

        int bodyLength = TunnelBatchFrame.CompressedHeaderLength - TunnelFrameHeader.Length + blockLength;
        TunnelLayout.WriteHeader(destination, bodyLength, TunnelFrameType.Batch, TunnelLayout.BatchCompressedFlag, 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[TunnelLayout.BatchRawLengthOffset..], (uint)rawLength);
        return true;
    }

    internal static void CheckChannel(ushort channel)
    {
        if (channel == 0)
        {
            CallerBug.ArgumentOutOfRange(nameof(channel), "Channel 0 is not a channel.");
        }
    }

    internal static void CheckDatagram(int length)
    {
        if (length > TunnelLayout.MaxDatagramLength)
        {
            CallerBug.ArgumentOutOfRange(nameof(length), "A datagram is at most 65,507 bytes.");
        }
    }

    private static bool Begin(Span<byte> destination, int frameLength, TunnelFrameType type, byte flags, ushort channel, out int bytesWritten)
    {
        if (destination.Length < frameLength)
        {
            bytesWritten = 0;
            return false;
        }

        TunnelLayout.WriteHeader(destination, frameLength - TunnelFrameHeader.Length, type, flags, channel);
        bytesWritten = frameLength;
        return true;
    }

    private static void CheckMethod(TunnelAuthMethod method)
    {
        if (!TunnelFrameChecks.IsAuthMethod((byte)method))
        {
            CallerBug.ArgumentOutOfRange(nameof(method), "Unknown auth method.");
        }
    }

    private static void CheckLength(ReadOnlySpan<byte> value, int length, string name)
    {
        if (value.Length != length)
        {
            CallerBug.Argument(name, "Nonces and proofs are 32 bytes, session ids 16 bytes.");
        }
    }

    private static byte ThrowAddressLength()
    {
        CallerBug.Argument("address", "An address is empty, 4 bytes (IPv4) or 16 bytes (IPv6).");
        return 0;
    }
}
