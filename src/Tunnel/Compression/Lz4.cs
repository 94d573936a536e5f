using System.Reflection;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Tunnel.Compression;

/// <summary>
/// LZ4 block compression through the reference C library, liblz4 (Debian <c>liblz4-1</c>), bound with
/// <c>LibraryImport</c> (no runtime marshalling: the arguments are pointers and ints, so it works under native AOT).
/// </summary>
/// <remarks>
/// <para>
/// Loading: the import name is <c>lz4</c>. In JIT runs a resolver maps it to <c>liblz4.so.1</c>, because the Debian
/// runtime package has no <c>liblz4.so</c> link (only <c>liblz4-dev</c> adds it). The native AOT build of <c>relay</c>
/// links <c>liblz4.a</c> statically instead (<c>DirectPInvoke</c> + <c>NativeLibrary</c> items in Relay.csproj), so
/// the binary needs nothing extra at run time and the resolver is never asked.
/// </para>
/// <para>
/// When the library cannot be loaded <see cref="IsAvailable"/> is false: the tunnel then neither offers nor uses
/// compression, and everything else works.
/// </para>
/// </remarks>
public static unsafe partial class Lz4
{
    private const string LibraryName = "lz4";

    private static readonly Lazy<bool> Available = new(Probe);
    private static string? _loadedFrom;

    static Lz4() => NativeLibrary.SetDllImportResolver(typeof(Lz4).Assembly, Resolve);

    /// <summary>True when liblz4 is loaded (checked once, on first use).</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>liblz4's version as "major.minor.release", or null when it is not available.</summary>
    public static string? Version => IsAvailable ? FormatVersion(NativeVersionNumber()) : null;

    /// <summary>
    /// Where liblz4 came from: the shared library the resolver loaded at run time (JIT runs), or null when the calls
    /// are bound directly (the native AOT binary, which links liblz4.a) or liblz4 is not available.
    /// </summary>
    public static string? LoadedFrom => IsAvailable ? Volatile.Read(ref _loadedFrom) : null;

    /// <summary>
    /// LZ4's acceleration for <see cref="TryCompress"/>: 4 (the library's default is 1). On the bench's 24-byte stream
    /// (16 KiB batches of 28-byte records) it saves 44.7 % against 46.2 % with 2, for 13–27 % less compression time
    /// per datagram; on 64-key spike packets 67 % against 70 %. Above 4 the saving falls away (6: 39 % on 64-key
    /// packets). Measurements: docs/performance.md, sessions 5 and 6.
    /// </summary>
    public const int Acceleration = 4;

    /// <summary>Largest block <see cref="TryCompress"/> can produce for <paramref name="sourceLength"/> bytes (LZ4_compressBound).</summary>
    public static int CompressBound(int sourceLength) => NativeCompressBound(sourceLength);

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> (LZ4_compress_fast, acceleration
    /// <see cref="Acceleration"/>). Returns the
    /// block length, or 0 when the block would not fit in <paramref name="destination"/>; pass a destination one byte
    /// shorter than the source to get a block only when compression pays.
    /// </summary>
    public static int TryCompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty || destination.IsEmpty)
        {
            return 0;
        }

        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            int written = NativeCompress(src, dst, source.Length, destination.Length, Acceleration);
            return written > 0 ? written : 0;
        }
    }

    /// <summary>
    /// Decompresses one block (LZ4_decompress_safe, which never reads or writes outside the given spans, whatever the
    /// input). Returns the bytes written, or -1 when the block is malformed or does not fit in <paramref name="destination"/>.
    /// </summary>
    public static int TryDecompress(ReadOnlySpan<byte> block, Span<byte> destination)
    {
        if (block.IsEmpty || destination.IsEmpty)
        {
            return -1;
        }

        fixed (byte* src = block)
        fixed (byte* dst = destination)
        {
            int written = NativeDecompress(src, dst, block.Length, destination.Length);
            return written >= 0 ? written : -1;
        }
    }

    [LibraryImport(LibraryName, EntryPoint = "LZ4_compress_fast")]
    private static partial int NativeCompress(byte* source, byte* destination, int sourceSize, int maxDestinationSize, int acceleration);

    [LibraryImport(LibraryName, EntryPoint = "LZ4_decompress_safe")]
    private static partial int NativeDecompress(byte* source, byte* destination, int compressedSize, int maxDecompressedSize);

    [LibraryImport(LibraryName, EntryPoint = "LZ4_compressBound")]
    private static partial int NativeCompressBound(int inputSize);

    [LibraryImport(LibraryName, EntryPoint = "LZ4_versionNumber")]
    private static partial int NativeVersionNumber();

    private static bool Probe()
    {
        try
        {
            return NativeVersionNumber() > 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static string FormatVersion(int number) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{number / 10000}.{number / 100 % 100}.{number % 100}");

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName)
        {
            return IntPtr.Zero;
        }

        foreach (string candidate in (ReadOnlySpan<string>)["liblz4.so.1", "liblz4.so", "liblz4.1.dylib", "liblz4.dylib", "liblz4.dll"])
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle))
            {
                Volatile.Write(ref _loadedFrom, candidate);
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
