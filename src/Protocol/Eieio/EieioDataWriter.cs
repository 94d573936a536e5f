using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Builds one EIEIO data packet in place in a caller's buffer, without allocating:
/// <code>
/// if (EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key32), out var w))
/// {
///     while (more &amp;&amp; w.TryAddKey(next)) { ... }
///     Send(buffer[..w.Length]);
/// }
/// </code>
/// The header's count byte is updated by every add, so <c>destination[..Length]</c> is a valid packet at any
/// point. Keys and payloads are given exactly as they go on the wire (the reader's raw values): the writer does
/// not strip prefix or base bits.
/// </summary>
public ref struct EieioDataWriter
{
    private readonly Span<byte> _destination;
    private readonly EieioType _type;
    private readonly int _elementsOffset;
    private int _count;

    private EieioDataWriter(Span<byte> destination, EieioType type, int elementsOffset)
    {
        _destination = destination;
        _type = type;
        _elementsOffset = elementsOffset;
    }

    /// <summary>Elements added so far (0–255).</summary>
    public readonly int Count => _count;

    /// <summary>Bytes of the packet so far: header, optional fields and elements.</summary>
    public readonly int Length => _elementsOffset + (_count * EieioDataLayout.ElementSize(_type));

    /// <summary>The packet so far, <c>destination[..Length]</c>.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _destination[..Length];

    /// <summary>
    /// Writes the header (count 0) and the optional key prefix and payload base. Returns false, writing nothing
    /// useful, when <paramref name="destination"/> is shorter than <see cref="EieioDataFormat.HeaderLength"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The type is not 0–3, the tag is not 0–3, or a payload base does not fit the 16 bits of types 0 and 1.
    /// </exception>
    /// <exception cref="ArgumentException">PrefixInUpperHalf is set without a key prefix.</exception>
    public static bool TryCreate(Span<byte> destination, scoped in EieioDataFormat format, out EieioDataWriter writer)
    {
        Validate(format);
        writer = default;
        int headerLength = format.HeaderLength;
        if (destination.Length < headerLength)
        {
            return false;
        }

        int header = ((int)format.Type << EieioDataLayout.TypeShift) | (format.Tag << EieioDataLayout.TagShift);
        int offset = EieioHeader.Length;
        if (format.KeyPrefix is ushort prefix)
        {
            header |= EieioDataLayout.PrefixFlag | (format.PrefixInUpperHalf ? EieioDataLayout.UpperHalfFlag : 0);
            BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], prefix);
            offset += EieioDataLayout.PrefixLength;
        }

        if (format.PayloadBase is uint payloadBase)
        {
            header |= EieioDataLayout.PayloadBaseFlag;
            WriteWord(destination[offset..], EieioDataLayout.Is32Bit(format.Type), payloadBase);
        }

        if (format.PayloadIsTimestamp)
        {
            header |= EieioDataLayout.TimestampFlag;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)header);
        writer = new EieioDataWriter(destination, format.Type, headerLength);
        return true;
    }

    /// <summary>
    /// Appends a key to a key-only packet (types 0 and 2). Returns false when the packet already holds 255
    /// elements or the destination has no room for another; send the packet and start a new one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The packet type carries a payload per element; use <see cref="TryAdd"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A 16-bit type was given a key above 0xFFFF.</exception>
    public bool TryAddKey(uint key)
    {
        if (EieioDataLayout.HasElementPayload(_type))
        {
            CallerBug.InvalidOperation("This EIEIO type carries a payload per element; use TryAdd(key, payload).");
        }

        return TryAppend(key, 0);
    }

    /// <summary>
    /// Appends a key and its payload to a packet of type 1 or 3. Returns false when the packet already holds 255
    /// elements or the destination has no room for another; send the packet and start a new one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The packet type is key-only; use <see cref="TryAddKey"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A 16-bit type was given a key or payload above 0xFFFF.</exception>
    public bool TryAdd(uint key, uint payload)
    {
        if (!EieioDataLayout.HasElementPayload(_type))
        {
            CallerBug.InvalidOperation("This EIEIO type is key-only; use TryAddKey(key).");
        }

        return TryAppend(key, payload);
    }

    private bool TryAppend(uint key, uint payload)
    {
        bool wide = EieioDataLayout.Is32Bit(_type);
        if (!wide && (key | payload) > ushort.MaxValue)
        {
            CallerBug.ArgumentOutOfRange(key > ushort.MaxValue ? nameof(key) : nameof(payload), "16-bit EIEIO types take values up to 0xFFFF.");
        }

        int size = EieioDataLayout.ElementSize(_type);
        int offset = Length;
        if (_count == EieioDataLayout.MaxCount || _destination.Length - offset < size)
        {
            return false;
        }

        Span<byte> element = _destination.Slice(offset, size);
        WriteWord(element, wide, key);
        if (EieioDataLayout.HasElementPayload(_type))
        {
            WriteWord(element[(size / 2)..], wide, payload);
        }

        _count++;
        _destination[0] = (byte)_count;
        return true;
    }

    private static void WriteWord(Span<byte> destination, bool wide, uint value)
    {
        if (wide)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)value);
        }
    }

    private static void Validate(in EieioDataFormat format)
    {
        if ((uint)format.Type > 3)
        {
            CallerBug.ArgumentOutOfRange(nameof(format), "EIEIO type must be 0-3.");
        }

        if (format.Tag > 3)
        {
            CallerBug.ArgumentOutOfRange(nameof(format), "EIEIO tag must be 0-3.");
        }

        if (format.PrefixInUpperHalf && !format.KeyPrefix.HasValue)
        {
            CallerBug.Argument(nameof(format), "PrefixInUpperHalf needs a KeyPrefix (P=0 with F=1 is a command header).");
        }

        if (format.PayloadBase > ushort.MaxValue && !EieioDataLayout.Is32Bit(format.Type))
        {
            CallerBug.ArgumentOutOfRange(nameof(format), "A payload base for 16-bit EIEIO types must fit in 16 bits.");
        }
    }
}
