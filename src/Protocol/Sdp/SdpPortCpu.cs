using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// The SDP port/CPU byte: <c>(port &amp; 7) &lt;&lt; 5 | (cpu &amp; 31)</c>. Port 0 is SCP; 0xFF (port 7, CPU 31)
/// is Ethernet/host (<see cref="SdpConstants.PortCpuEthernet"/>).
/// </summary>
public static class SdpPortCpu
{
    /// <summary>Largest SDP port number.</summary>
    public const int MaxPort = 7;

    /// <summary>Largest CPU number the byte can carry.</summary>
    public const int MaxCpu = 31;

    /// <summary>Packs a port (0..7) and CPU (0..31); throws <see cref="ArgumentOutOfRangeException"/> otherwise.</summary>
    public static byte Encode(int port, int cpu)
    {
        if ((uint)port > MaxPort)
        {
            CallerBug.ArgumentOutOfRange(nameof(port), CallerBugReason.PortOutOfRange);
        }

        if ((uint)cpu > MaxCpu)
        {
            CallerBug.ArgumentOutOfRange(nameof(cpu), CallerBugReason.CpuOutOfRange);
        }

        return (byte)((port << 5) | cpu);
    }

    /// <summary>The port (0..7) in a port/CPU byte.</summary>
    public static int Port(byte portCpu) => portCpu >> 5;

    /// <summary>The CPU (0..31) in a port/CPU byte.</summary>
    public static int Cpu(byte portCpu) => portCpu & MaxCpu;
}
