using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>The two libc calls the bench needs: kill(2) to stop children gently and nanosleep(2) to pace.</summary>
internal static unsafe partial class BenchNative
{
    public const int SIGTERM = 15;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    /// <summary>Sends SIGTERM. False when the process is gone or this is not Unix.</summary>
    public static bool Terminate(int pid) => !OperatingSystem.IsWindows() && Kill(pid, SIGTERM) == 0;

    /// <summary>
    /// Sleeps for about <paramref name="stopwatchTicks"/> (sub-millisecond on Linux, where the kernel's timer
    /// slack adds about 50 µs; whole milliseconds elsewhere). Never allocates.
    /// </summary>
    public static void Sleep(long stopwatchTicks)
    {
        if (stopwatchTicks <= 0)
        {
            return;
        }

        var nanoseconds = (long)(stopwatchTicks * (1e9 / Stopwatch.Frequency));
        if (OperatingSystem.IsLinux())
        {
            var request = new TimeSpec { Seconds = (nint)(nanoseconds / 1_000_000_000), Nanoseconds = (nint)(nanoseconds % 1_000_000_000) };
            NanoSleep(&request, null);
            return;
        }

        Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(1, nanoseconds / 1_000_000)));
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(TimeSpec* request, TimeSpec* remaining);
}
