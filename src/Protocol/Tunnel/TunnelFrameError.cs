namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>Why a tunnel frame reader rejected a frame. <see cref="None"/> means it was accepted.</summary>
public enum TunnelFrameError : byte
{
    /// <summary>No error: the frame is well formed.</summary>
    None = 0,

    /// <summary>Fewer than the 8 header bytes.</summary>
    TooShort,

    /// <summary>The header's body length does not match the bytes given, or the body is not the exact (or minimum) size of its type.</summary>
    WrongLength,

    /// <summary>The type byte is not the type this reader reads (or, for <see cref="TunnelFrameHeader"/>, not a known type).</summary>
    WrongType,

    /// <summary>A flag bit the type does not define is set, or a reserved byte is not zero.</summary>
    ReservedBitsSet,

    /// <summary>The channel field is 0 on a frame that needs a channel, or non-zero on one that must not have one.</summary>
    BadChannel,

    /// <summary>HELLO does not start with the magic "FSRT".</summary>
    BadMagic,

    /// <summary>A field value is out of its range (versions, auth method, channel kind, address family, ERROR text).</summary>
    BadValue,

    /// <summary>A BATCH record is cut short, a batch has no record, or a compressed batch's raw length is 0 or above the maximum.</summary>
    BadBatch,
}
