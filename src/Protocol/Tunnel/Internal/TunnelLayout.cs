using System.Buffers.Binary;

namespace FastSpinnRelay.Protocol.Tunnel.Internal;

/// <summary>
/// Offsets and sizes of the tunnel frames (docs/tunnel-protocol.md §2). All integers big-endian.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +---------------------------------------------------------------+
/// |                     body length (u32)                         |  BodyLengthOffset = 0
/// +---------------+---------------+-------------------------------+
/// |   type (u8)   |  flags (u8)   |         channel (u16)         |  TypeOffset = 4, FlagsOffset = 5, ChannelOffset = 6
/// +---------------+---------------+-------------------------------+
/// |                  body (body length bytes) ...                 |  BodyOffset = 8
/// +---------------------------------------------------------------+
///
///  HELLO      8 magic "FSRT" | 12 min ver | 13 max ver | 14 auth method | 15 features | 16 client nonce[32]   = 48
///  CHALLENGE  8 version | 9 auth method | 10 features | 11 reserved=0 | 12 server nonce[32] | 44 proof[32]   = 76
///  AUTH       8 client proof[32] | 40 session id[16] | 56 next expected u64                                 = 64
///  WELCOME    8 session id[16] | 24 next expected u64 (flag bit 0: resumed)                                 = 32
///  ERROR      8 code u16 | 10 ASCII text (0..120)                                                          = 10..130
///  OPEN       8 seq u64 | 16 kind | 17 family (0,4,6) | 18 port u16 | 20 address (0, 4, 16)                  = 20, 24, 36
///  CLOSE      8 seq u64 | 16 code u16                                                                       = 18
///  DATA       8 seq u64 | 16 gap us u32 | 20 datagram (0..65,507)                                           = 20..65,527
///  BATCH      8 records: channel u16 | length u16 | datagram ...     (flag bit 0 clear)
///             8 raw length u32 | 12 LZ4 block                          (flag bit 0 set)
///  ACK, PING, PONG   8 value u64                                                                            = 16
/// </code>
/// </summary>
internal static class TunnelLayout
{
    public const int BodyLengthOffset = 0;
    public const int TypeOffset = 4;
    public const int FlagsOffset = 5;
    public const int ChannelOffset = 6;
    public const int HeaderLength = 8;

    public const uint Magic = 0x46535254; // "FSRT"
    public const int NonceLength = 32;
    public const int ProofLength = 32;
    public const int SessionIdLength = 16;

    // HELLO
    public const int HelloMagicOffset = 8;
    public const int HelloMinVersionOffset = 12;
    public const int HelloMaxVersionOffset = 13;
    public const int HelloAuthMethodOffset = 14;
    public const int HelloFeaturesOffset = 15;
    public const int HelloNonceOffset = 16;
    public const int HelloLength = HelloNonceOffset + NonceLength;

    // CHALLENGE
    public const int ChallengeVersionOffset = 8;
    public const int ChallengeAuthMethodOffset = 9;
    public const int ChallengeFeaturesOffset = 10;
    public const int ChallengeReservedOffset = 11;
    public const int ChallengeNonceOffset = 12;
    public const int ChallengeProofOffset = ChallengeNonceOffset + NonceLength;
    public const int ChallengeLength = ChallengeProofOffset + ProofLength;

    // AUTH
    public const int AuthProofOffset = 8;
    public const int AuthSessionIdOffset = AuthProofOffset + ProofLength;
    public const int AuthNextExpectedOffset = AuthSessionIdOffset + SessionIdLength;
    public const int AuthLength = AuthNextExpectedOffset + 8;

    // WELCOME
    public const int WelcomeSessionIdOffset = 8;
    public const int WelcomeNextExpectedOffset = WelcomeSessionIdOffset + SessionIdLength;
    public const int WelcomeLength = WelcomeNextExpectedOffset + 8;
    public const byte WelcomeResumedFlag = 1;

    // ERROR
    public const int ErrorCodeOffset = 8;
    public const int ErrorTextOffset = 10;
    public const int MaxErrorTextLength = 120;

    // OPEN, CLOSE, DATA: the sequence number first
    public const int SequenceOffset = 8;
    public const int OpenKindOffset = 16;
    public const int OpenFamilyOffset = 17;
    public const int OpenPortOffset = 18;
    public const int OpenAddressOffset = 20;
    public const int CloseCodeOffset = 16;
    public const int CloseLength = 18;
    public const int DataGapOffset = 16;
    public const int DataPayloadOffset = 20;

    /// <summary>Largest UDP payload over IPv4, the largest datagram a DATA frame or a batch record carries.</summary>
    public const int MaxDatagramLength = 65_507;

    // BATCH
    public const byte BatchCompressedFlag = 1;
    public const int BatchRawLengthOffset = 8;
    public const int BatchBlockOffset = 12;
    public const int BatchRecordHeaderLength = 4;

    // ACK, PING, PONG
    public const int ValueOffset = 8;
    public const int ValueFrameLength = 16;

    public static uint ReadBodyLength(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32BigEndian(frame);

    public static ulong ReadU64(ReadOnlySpan<byte> frame, int offset) => BinaryPrimitives.ReadUInt64BigEndian(frame[offset..]);

    public static void WriteHeader(Span<byte> frame, int bodyLength, TunnelFrameType type, byte flags, ushort channel)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)bodyLength);
        frame[TypeOffset] = (byte)type;
        frame[FlagsOffset] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(frame[ChannelOffset..], channel);
    }

    /// <summary>
    /// The checks every typed reader makes, in order: header present, type as expected, body length equal to the
    /// bytes given and within [<paramref name="minLength"/>, <paramref name="maxLength"/>] (whole-frame lengths),
    /// no undefined flag bit, channel present exactly when <paramref name="hasChannel"/>.
    /// </summary>
    public static TunnelFrameError Check(
        ReadOnlySpan<byte> frame, TunnelFrameType type, int minLength, int maxLength, byte allowedFlags, bool hasChannel)
    {
        if (frame.Length < HeaderLength)
        {
            return TunnelFrameError.TooShort;
        }

        if (frame[TypeOffset] != (byte)type)
        {
            return TunnelFrameError.WrongType;
        }

        return CheckRest(frame, minLength, maxLength, allowedFlags, hasChannel);
    }

    /// <summary>As <see cref="Check"/> after the type test, for readers that accept several types.</summary>
    public static TunnelFrameError CheckRest(ReadOnlySpan<byte> frame, int minLength, int maxLength, byte allowedFlags, bool hasChannel)
    {
        uint bodyLength = ReadBodyLength(frame);
        if (bodyLength != (uint)(frame.Length - HeaderLength) || frame.Length < minLength || frame.Length > maxLength)
        {
            return TunnelFrameError.WrongLength;
        }

        if ((frame[FlagsOffset] & ~allowedFlags) != 0)
        {
            return TunnelFrameError.ReservedBitsSet;
        }

        bool channelSet = BinaryPrimitives.ReadUInt16BigEndian(frame[ChannelOffset..]) != 0;
        return channelSet == hasChannel ? TunnelFrameError.None : TunnelFrameError.BadChannel;
    }
}
