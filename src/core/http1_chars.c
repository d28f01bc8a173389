/* The byte-class table behind http1_chars.h, built once at compile time. */
#include "http1_chars.h"

#define T SQ__CH_TOKEN
#define V SQ__CH_VALUE
#define G SQ__CH_TARGET
#define H SQ__CH_HEX

/* Rows of 16 bytes. Controls other than HTAB belong to no class; SP and
 * obs-text (0x80-0xFF) are field-value bytes only. */
const uint8_t sq__http1_chars[256] = {
    /* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, V, 0, 0, 0, 0, 0, 0,
    /* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20  SP      !        "      #      $        %        &        '   */
    V, T | V | G, V | G, T | V, T | V | G, T | V | G, T | V | G, T | V | G,
    /* (      )      *          +          ,      -          .          /  */
    V | G, V | G, T | V | G, T | V | G, V | G, T | V | G, T | V | G, V | G,
    /* 0x30 0-9 */
    T | V | G | H, T | V | G | H, T | V | G | H, T | V | G | H,
    T | V | G | H, T | V | G | H, T | V | G | H, T | V | G | H,
    T | V | G | H, T | V | G | H,
    /* :  ;  <  =  >  ? */
    V | G, V | G, V | G, V | G, V | G, V | G,
    /* 0x40 @ */ V | G,
    /* A-F */ T | V | G | H, T | V | G | H, T | V | G | H, T | V | G | H, T | V | G | H,
    T | V | G | H,
    /* G-O */ T | V | G, T | V | G, T | V | G, T | V | G, T | V | G, T | V | G, T | V | G,
    T | V | G, T | V | G,
    /* 0x50 P-Z */ T | V | G, T | V | G, T | V | G, T | V | G, T | V | G, T | V | G,
    T | V | G, T | V | G, T | V | G, T | V | G, T | V | G,
    /* [  \  ]  ^  _ */ V | G, V | G, V | G, T | V | G, T | V | G,
    /* 0x60 ` */ T | V | G,
    /* a-f */ T | V | G | H, T | V | G | H, T | V | G | H, T | V | G | H, T | V | G | H,
    T | V | G | H,
    /* g-o */ T | V | G, T | V | G, T | V | G, T | V | G, T | V | G, T | V | G, T | V | G,
    T | V | G, T | V | G,
    /* 0x70 p-z */ T | V | G, T | V | G, T | V | G, T | V | G, T | V | G, T | V | G,
    T | V | G, T | V | G, T | V | G, T | V | G, T | V | G,
    /* {  |  }  ~  DEL */ V | G, T | V | G, V | G, T | V | G, 0,
    /* 0x80-0xFF obs-text */
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
    V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V,
};
