namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// arg2 of a reverse IPTAG SET: <c>(dest_x &lt;&lt; 24) | (dest_y &lt;&lt; 16) | rx_port</c>. The board listens on UDP
/// <paramref name="RxPort"/> and forwards raw payloads to chip (x, y) at the port/CPU in <see cref="ScpIpTagArg1.PortCpu"/>.
/// (A normal SET's arg2 is just the host UDP port.)
/// </summary>
/// <param name="DestX">Destination chip x.</param>
/// <param name="DestY">Destination chip y.</param>
/// <param name="RxPort">Board UDP port to listen on.</param>
public readonly record struct ScpReverseTagTarget(byte DestX, byte DestY, ushort RxPort)
{
    /// <summary>Decodes arg2.</summary>
    public static ScpReverseTagTarget Decode(uint arg2) => new((byte)(arg2 >> 24), (byte)(arg2 >> 16), (ushort)arg2);

    /// <summary>Encodes arg2.</summary>
    public uint Encode() => ((uint)DestX << 24) | ((uint)DestY << 16) | RxPort;
}
