/* Stand-in for Windows 10's bcryptprimitives.dll, for `make windows-check` under Wine ONLY.
 *
 * Rust's standard library (1.78+) gets random bytes from bcryptprimitives.dll!ProcessPrng; Wine 8
 * has no such DLL, so cryptography's Rust core (_rust.pyd) fails to load. This one implements
 * ProcessPrng over BCryptGenRandom with the system-preferred RNG, as Windows does. It goes into the
 * Wine prefix's system32, never into dist/ or the installer (installer/windows-check.sh checks).
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE; /* Windows documents ProcessPrng as always returning TRUE */
}
