using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Relay.Host;

/// <summary>What a board's VER reply says (docs/protocols.md §4.4), copied out of the reply.</summary>
/// <param name="Name">Software name, "SC&amp;MP/SpiNNaker" for a board's monitor.</param>
/// <param name="Version">Software version, e.g. "4.0.0".</param>
/// <param name="P2PAddress">The answering chip, <c>(x &lt;&lt; 8) | y</c>; 0xFFFF until the board has booted.</param>
/// <param name="PhysicalCpu">Physical CPU of the answering core.</param>
/// <param name="VirtualCpu">Virtual CPU of the answering core (0 = monitor).</param>
/// <param name="BufferSize">Most data bytes per SCP packet (256).</param>
/// <param name="BuildDate">Build date, Unix seconds.</param>
public sealed record BoardVersion(
    string Name, string Version, ushort P2PAddress, byte PhysicalCpu, byte VirtualCpu, int BufferSize, uint BuildDate)
{
    /// <summary>Chip x.</summary>
    public byte X => (byte)(P2PAddress >> 8);

    /// <summary>Chip y.</summary>
    public byte Y => (byte)P2PAddress;

    /// <summary>False while the board reports chip (255, 255), i.e. it has not finished booting.</summary>
    public bool IsBooted => P2PAddress != ScpVersionInfo.NotBootedAddress;
}
