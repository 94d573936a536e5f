using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// The board ports opened by reverse IP tags: one UDP socket (and receive thread) per reverse tag, bound on the
/// emulator's address at the tag's rx port. Input is counted per tag and the tag's destination follows the last
/// sender, as SC&amp;MP does; the payload itself goes nowhere (there are no application cores). At most 8 exist.
/// </summary>
internal sealed class ReverseTagPorts : IDisposable
{
    /// <summary>Largest input a reverse tag takes (16 + 256 bytes from cmd_rc on); bigger is still counted.</summary>
    private const int BufferSize = 2048;

    private readonly IPAddress address;
    private readonly EmulatorCounters counters;
    private readonly DatagramPump?[] pumps = new DatagramPump?[IpTagTable.FixedCount];
    private readonly Lock gate = new();
    private bool disposed;

    public ReverseTagPorts(IPAddress address, EmulatorCounters counters)
    {
        this.address = address;
        this.counters = counters;
    }

    /// <summary>Opens the rx port of a reverse tag (closing the tag's previous port); false with a reason when it cannot bind.</summary>
    public bool TryOpen(IpTag tag, out string? problem)
    {
        problem = null;
        Socket socket;
        try
        {
            Close(tag.Number);
            socket = UdpSockets.Bind(new IPEndPoint(address, tag.ReceivePort));
        }
        catch (SocketException ex)
        {
            problem = string.Create(CultureInfo.InvariantCulture, $"cannot listen on {address}:{tag.ReceivePort}: {ex.SocketErrorCode}");
            return false;
        }

        var lastSender = SocketAddresses.NewBuffer();
        lastSender.Size = 0;
        var pump = new DatagramPump(
            socket,
            BufferSize,
            (datagram, sender) =>
            {
                tag.CountOne();
                if (!SocketAddresses.AreEqual(sender, lastSender))
                {
                    // Only a new sender allocates (the tag's endpoint); a steady stream does not.
                    SocketAddresses.Copy(sender, lastSender);
                    tag.Destination = SocketAddresses.ToEndPoint(sender);
                }

                counters.CountReverseInput(tag.Number);
            },
            string.Create(CultureInfo.InvariantCulture, $"emulator reverse tag {tag.Number}"));
        lock (gate)
        {
            if (disposed)
            {
                pump.Dispose();
                problem = "the emulator is shutting down";
                return false;
            }

            pumps[tag.Number] = pump;
        }

        pump.Start();
        return true;
    }

    /// <summary>Closes the rx port of tag <paramref name="tag"/>, if it has one.</summary>
    public void Close(int tag)
    {
        DatagramPump? pump;
        lock (gate)
        {
            if ((uint)tag >= (uint)pumps.Length)
            {
                return;
            }

            pump = pumps[tag];
            pumps[tag] = null;
        }

        pump?.Dispose();
    }

    /// <summary>Asks every receive thread to stop (sockets closed) without waiting.</summary>
    public void RequestStop()
    {
        lock (gate)
        {
            disposed = true;
            foreach (var p in pumps)
            {
                p?.RequestStop();
            }
        }
    }

    /// <summary>Closes every port and waits (bounded) for the threads.</summary>
    public void Dispose()
    {
        RequestStop();
        for (var i = 0; i < pumps.Length; i++)
        {
            Close(i);
        }
    }
}
