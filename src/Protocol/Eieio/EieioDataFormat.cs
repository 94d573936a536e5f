using FastSpinnRelay.Protocol.Eieio.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Everything in an EIEIO data header except the element count: what <see cref="EieioDataWriter"/> writes and
/// what <see cref="EieioDataPacket.Format"/> reports.
/// </summary>
/// <param name="Type">Element layout (header bits 11–10).</param>
public readonly record struct EieioDataFormat(EieioType Type)
{
    /// <summary>The 2-bit tag (header bits 9–8), 0–3. Default 0.</summary>
    public byte Tag { get; init; }

    /// <summary>Key prefix (P flag), or null for none. Default none.</summary>
    public ushort? KeyPrefix { get; init; }

    /// <summary>
    /// F flag: false = the prefix is ORed into the low half of each key, true = <c>key |= prefix &lt;&lt; 16</c>.
    /// Only meaningful with a <see cref="KeyPrefix"/>; P = 0 with F = 1 would be a command header.
    /// </summary>
    public bool PrefixInUpperHalf { get; init; }

    /// <summary>
    /// Payload base (D flag), or null for none: 16 bits for <see cref="EieioType.Key16"/> and
    /// <see cref="EieioType.Key16Payload16"/>, 32 bits for the 32-bit types.
    /// </summary>
    public uint? PayloadBase { get; init; }

    /// <summary>T flag: payloads (or the payload base) are timestamps. Default false.</summary>
    public bool PayloadIsTimestamp { get; init; }

    /// <summary>Bytes before the first element: 2-byte header, plus 2 for a key prefix, plus 2 or 4 for a payload base.</summary>
    public int HeaderLength =>
        EieioHeader.Length
        + (KeyPrefix.HasValue ? EieioDataLayout.PrefixLength : 0)
        + (PayloadBase.HasValue ? EieioDataLayout.PayloadBaseLength(Type) : 0);

    /// <summary>Bytes per element: 2, 4, 4 or 8 for types 0–3.</summary>
    public int ElementSize => EieioDataLayout.ElementSize(Type);
}
