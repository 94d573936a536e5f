using FastSpinnRelay.Relay.Tests.Udp;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>Runs code on a loop's thread and waits (bounded) for it, for tests of loop-thread helpers.</summary>
internal static class LoopTestSupport
{
    /// <summary>Runs <paramref name="action"/> as posted work on the loop thread; returns once it ran (or fails the test).</summary>
    public static void RunOnLoop(UdpEventLoop loop, Action action)
    {
        var work = new ActionWork(action);
        Assert.True(loop.Post(work));
        Assert.True(work.Done.Wait(UdpTestSupport.Deadline), "the loop did not run the posted work in time");
        if (work.Error is { } error)
        {
            throw new InvalidOperationException("Posted work failed", error);
        }
    }

    private sealed class ActionWork(Action action) : IUdpLoopWork
    {
        public ManualResetEventSlim Done { get; } = new();

        public Exception? Error { get; private set; }

        public void Execute(UdpEventLoop loop)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                Error = e;
            }
            finally
            {
                Done.Set();
            }
        }
    }
}
