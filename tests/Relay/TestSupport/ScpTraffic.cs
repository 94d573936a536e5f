using System.Net;
using FastSpinnRelay.Relay.Host;

namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>SCP traffic one application makes, for tests where several share a relay.</summary>
internal static class ScpTraffic
{
    /// <summary>
    /// Writes 256 bytes of its own at <paramref name="address"/> through <paramref name="port"/>, then reads them back
    /// 40 times; returns the mismatches. Two callers count sequence numbers from 0 in step, so a reply delivered to the
    /// wrong one would be accepted and its READ data would be the other's.
    /// </summary>
    public static int ReadOwnDataRepeatedly(IPEndPoint port, uint address, int seed)
    {
        using var scp = new ScpClient(port) { Timeout = TimeSpan.FromSeconds(2) };
        var data = new byte[256];
        new Random(seed).NextBytes(data);
        var back = new byte[data.Length];
        scp.Write(address, data);
        var mismatches = 0;
        for (var i = 0; i < 40; i++)
        {
            scp.Read(address, back);
            mismatches += back.AsSpan().SequenceEqual(data) ? 0 : 1;
        }

        return mismatches;
    }
}
