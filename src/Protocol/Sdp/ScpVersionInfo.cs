using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// The content of a VER reply (docs/protocols.md §4.4): three argument words and two NUL-terminated strings.
/// <code>
///  arg1 = (p2p_addr &lt;&lt; 16) | (phys_cpu &lt;&lt; 8) | virt_cpu     p2p_addr = (x &lt;&lt; 8) | y, 0xFFFF until booted
///  arg2 = (legacy_version &lt;&lt; 16) | buffer_size                 0xFFFF0000 | 256 on SC&amp;MP 4
///  arg3 = build date (Unix time)
///  data = "SC&amp;MP/SpiNNaker\0" "4.0.0\0"                        48-byte reply with these strings
/// </code>
/// The name and version are zero-copy ASCII spans without their terminators.
/// </summary>
public readonly ref struct ScpVersionInfo
{
    /// <summary><see cref="P2PAddress"/> a board reports until it has booted its network.</summary>
    public const ushort NotBootedAddress = 0xFFFF;

    /// <summary>Upper half of arg2 meaning "the version is in the string".</summary>
    public const ushort VersionInString = 0xFFFF;

    /// <summary>Length of the reply <see cref="ScpVersionInfo(ushort, byte, byte, uint)"/> describes: 48 bytes.</summary>
    public const int DefaultReplyLength = 48;

    /// <summary>Creates the content SC&amp;MP 4.0.0 sends: name "SC&amp;MP/SpiNNaker", version "4.0.0", buffer 256.</summary>
    /// <param name="p2pAddress"><c>(x &lt;&lt; 8) | y</c> of the chip, or <see cref="NotBootedAddress"/>.</param>
    /// <param name="physicalCpu">Physical CPU number of the answering core.</param>
    /// <param name="virtualCpu">Virtual CPU number of the answering core (0 for the monitor).</param>
    /// <param name="buildDate">Build date, Unix seconds.</param>
    public ScpVersionInfo(ushort p2pAddress, byte physicalCpu, byte virtualCpu, uint buildDate)
        : this(p2pAddress, physicalCpu, virtualCpu, buildDate, DefaultName, DefaultVersion)
    {
    }

    /// <summary>Creates VER content with the given ASCII name and version (no NULs), buffer size 256.</summary>
    public ScpVersionInfo(
        ushort p2pAddress, byte physicalCpu, byte virtualCpu, uint buildDate,
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> version)
        : this(p2pAddress, physicalCpu, virtualCpu, VersionInString, ScpMessage.MaxDataLength, buildDate, name, version)
    {
    }

    private ScpVersionInfo(
        ushort p2pAddress, byte physicalCpu, byte virtualCpu, ushort legacyVersion, ushort bufferSize,
        uint buildDate, ReadOnlySpan<byte> name, ReadOnlySpan<byte> version)
    {
        P2PAddress = p2pAddress;
        PhysicalCpu = physicalCpu;
        VirtualCpu = virtualCpu;
        LegacyVersion = legacyVersion;
        BufferSize = bufferSize;
        BuildDate = buildDate;
        Name = name;
        Version = version;
    }

    /// <summary>"SC&amp;MP/SpiNNaker": the name spinnman insists on.</summary>
    public static ReadOnlySpan<byte> DefaultName => "SC&MP/SpiNNaker"u8;

    /// <summary>"4.0.0": the lowest version spinnman accepts (4.x.y ≥ 4.0.0).</summary>
    public static ReadOnlySpan<byte> DefaultVersion => "4.0.0"u8;

    /// <summary>The chip's P2P address <c>(x &lt;&lt; 8) | y</c>; <see cref="NotBootedAddress"/> until booted.</summary>
    public ushort P2PAddress { get; }

    /// <summary>Chip x (upper byte of <see cref="P2PAddress"/>).</summary>
    public byte X => (byte)(P2PAddress >> 8);

    /// <summary>Chip y (lower byte of <see cref="P2PAddress"/>).</summary>
    public byte Y => (byte)P2PAddress;

    /// <summary>False while the board reports <see cref="NotBootedAddress"/>.</summary>
    public bool IsBooted => P2PAddress != NotBootedAddress;

    /// <summary>Physical CPU number of the core that answered.</summary>
    public byte PhysicalCpu { get; }

    /// <summary>Virtual CPU number of the core that answered.</summary>
    public byte VirtualCpu { get; }

    /// <summary>Upper half of arg2: <see cref="VersionInString"/> on current software.</summary>
    public ushort LegacyVersion { get; }

    /// <summary>Lower half of arg2: the SDP data buffer size in bytes (256), the most data per SCP packet.</summary>
    public ushort BufferSize { get; }

    /// <summary>arg3: build date, Unix seconds.</summary>
    public uint BuildDate { get; }

    /// <summary>Software name, ASCII, without the NUL.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>Version string, ASCII, without the NUL.</summary>
    public ReadOnlySpan<byte> Version { get; }

    /// <summary>arg1 as sent.</summary>
    public uint Arg1 => ((uint)P2PAddress << 16) | ((uint)PhysicalCpu << 8) | VirtualCpu;

    /// <summary>arg2 as sent.</summary>
    public uint Arg2 => ((uint)LegacyVersion << 16) | BufferSize;

    /// <summary>
    /// Reads a VER reply datagram. Checks, in order: the SCP framing (see <see cref="ScpHeader.TryRead"/>),
    /// rc is OK (<see cref="ScpError.NotOk"/>), three args, then the two NUL-terminated strings. Bytes after
    /// the version's NUL are ignored. Never throws, never allocates.
    /// </summary>
    public static ScpError TryRead(ReadOnlySpan<byte> datagram, out ScpVersionInfo info)
    {
        info = default;
        ScpError error = ScpHeader.TryRead(datagram, out ScpHeader scp);
        if (error != ScpError.None)
        {
            return error;
        }

        if (scp.Result != ScpResult.Ok)
        {
            return ScpError.NotOk;
        }

        error = ScpMessage.TryRead(datagram, ScpMessage.MaxArgCount, out ScpMessage reply);
        if (error != ScpError.None)
        {
            return error;
        }

        ReadOnlySpan<byte> data = reply.Data;
        int nameEnd = data.IndexOf((byte)0);
        if (nameEnd < 0)
        {
            return ScpError.VersionNameNotTerminated;
        }

        ReadOnlySpan<byte> rest = data[(nameEnd + 1)..];
        int versionEnd = rest.IndexOf((byte)0);
        if (versionEnd < 0)
        {
            return ScpError.VersionStringNotTerminated;
        }

        info = new ScpVersionInfo(
            (ushort)(reply.Arg1 >> 16), (byte)(reply.Arg1 >> 8), (byte)reply.Arg1,
            (ushort)(reply.Arg2 >> 16), (ushort)reply.Arg2, reply.Arg3,
            data[..nameEnd], rest[..versionEnd]);
        return ScpError.None;
    }

    /// <summary>
    /// Writes the VER reply with rc OK: <paramref name="replyHeader"/> (usually the request's
    /// <see cref="SdpHeader.ToReply"/>), the request's sequence number, the three args and the two strings.
    /// Returns false when <paramref name="destination"/> is too small; throws <see cref="ArgumentException"/>
    /// when a string is empty, contains a NUL, or the two do not fit 256 bytes with their terminators.
    /// </summary>
    public bool TryWriteReply(Span<byte> destination, in SdpHeader replyHeader, ushort sequence, out int bytesWritten)
    {
        int dataLength = Name.Length + 1 + Version.Length + 1;
        if (Name.IsEmpty || Version.IsEmpty || dataLength > ScpMessage.MaxDataLength
            || Name.Contains((byte)0) || Version.Contains((byte)0))
        {
            CallerBug.Argument(nameof(Name), CallerBugReason.VersionStringInvalid);
        }

        Span<byte> data = stackalloc byte[ScpMessage.MaxDataLength];
        Name.CopyTo(data);
        data[Name.Length] = 0;
        Version.CopyTo(data[(Name.Length + 1)..]);
        data[dataLength - 1] = 0;
        return ScpMessage.TryWriteResponse(
            destination, replyHeader, ScpResult.Ok, sequence, [Arg1, Arg2, BuildDate], data[..dataLength],
            out bytesWritten);
    }
}
