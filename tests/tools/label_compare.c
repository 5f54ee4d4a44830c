/* Test tool: compares our HTS labels with festival's (the oracle), file by
 * file, and prints the per-field agreement table.
 *
 *   label_compare OURS_DIR FEST_DIR [MIN_MATCH MIN_FIELD]
 *
 * Both directories hold 01.lab, 02.lab, ... (ours: one label per line;
 * festival's: "start end label"). For each file the phone strings are
 * compared; labels are then paired (position by position when the phone
 * strings agree, else by a longest-common-subsequence alignment of the
 * phones, unpaired labels counting as disagreeing on every field), and each
 * of the 53 fields p1..j3 is compared as a string. Exit status 1 when fewer
 * than MIN_MATCH files have identical phone strings or any field agrees on
 * less than MIN_FIELD (a fraction) of labels; 0 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF 53
static const char *SEP[NF] = {"^", "-", "+", "=", "@", "_", "/A:", "_", "_", "/B:", "-", "-", "@",
                              "-", "&", "-", "#", "-", "$", "-", "!", "-", ";", "-", "|", "/C:",
                              "+", "+", "/D:", "_", "/E:", "+", "@", "+", "&", "+", "#", "+",
                              "/F:", "_", "/G:", "_", "/H:", "=", "@", "=", "|", "/I:", "=",
                              "/J:", "+", "-", ""};
static const char *NAME[NF] = {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "a1", "a2", "a3", "b1",
                               "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11",
                               "b12", "b13", "b14", "b15", "b16", "c1", "c2", "c3", "d1", "d2",
                               "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "f1", "f2", "g1",
                               "g2", "h1", "h2", "h3", "h4", "h5", "i1", "i2", "j1", "j2", "j3"};

typedef struct {
    char f[NF][24];
} label;

static int parse(const char *s, label *l)
{
    const char *p = s;
    for (int i = 0; i < NF; i++) {
        const char *e = SEP[i][0] ? strstr(p, SEP[i]) : p + strlen(p);
        if (!e) return -1;
        size_t n = (size_t)(e - p);
        if (n >= sizeof l->f[i]) n = sizeof l->f[i] - 1;
        memcpy(l->f[i], p, n);
        l->f[i][n] = 0;
        p = e + strlen(SEP[i]);
    }
    return 0;
}

static label *load(const char *path, int *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    label *v = NULL;
    int cap = 0;
    *n = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *lab = strrchr(line, ' ');
        lab = lab ? lab + 1 : line;
        if (!*lab) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, (size_t)cap * sizeof *v);
            if (!v) exit(3);
        }
        if (parse(lab, &v[*n]) == 0) (*n)++;
        else fprintf(stderr, "%s: unparsable label: %s\n", path, lab);
    }
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: label_compare OURS_DIR FEST_DIR [MIN_MATCH MIN_FIELD]\n");
        return 2;
    }
    int min_match = argc == 5 ? atoi(argv[3]) : 0;
    double min_field = argc == 5 ? atof(argv[4]) : 0;
    long agree[NF] = {0}, total = 0;
    int files = 0, matches = 0;
    for (int k = 1;; k++) {
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s/%02d.lab", argv[2], k);
        snprintf(pb, sizeof pb, "%s/%02d.lab", argv[1], k);
        int nf, no;
        label *fest = load(pa, &nf);
        if (!fest) break;
        files++;
        label *ours = load(pb, &no);
        if (!ours) {
            printf("%02d: no labels of ours\n", k);
            total += nf;
            free(fest);
            continue;
        }
        int same = nf == no;
        for (int i = 0; same && i < nf; i++) same = !strcmp(fest[i].f[2], ours[i].f[2]);
        matches += same;
        /* LCS alignment on phone names. */
        int *dp = calloc((size_t)(nf + 1) * (size_t)(no + 1), sizeof(int));
        if (!dp) return 3;
#define D(i, j) dp[(size_t)(i) * (size_t)(no + 1) + (size_t)(j)]
        for (int i = nf - 1; i >= 0; i--)
            for (int j = no - 1; j >= 0; j--)
                D(i, j) = !strcmp(fest[i].f[2], ours[j].f[2]) ? D(i + 1, j + 1) + 1
                          : (D(i + 1, j) > D(i, j + 1) ? D(i + 1, j) : D(i, j + 1));
        int i = 0, j = 0, diffs = 0;
        while (i < nf && j < no) {
            if (!strcmp(fest[i].f[2], ours[j].f[2]) && D(i, j) == D(i + 1, j + 1) + 1) {
                for (int f = 0; f < NF; f++) {
                    if (!strcmp(fest[i].f[f], ours[j].f[f])) agree[f]++;
                    else diffs++;
                }
                i++, j++;
            } else if (D(i + 1, j) >= D(i, j + 1)) i++;
            else j++;
        }
        total += nf > no ? nf : no;
        printf("%02d: phones %s, %d festival / %d ours labels, %d field differences\n", k,
               same ? "identical" : "DIFFER", nf, no, diffs);
        free(dp);
        free(fest);
        free(ours);
    }
    if (files == 0) {
        fprintf(stderr, "label_compare: no festival labels in %s\n", argv[2]);
        return 2;
    }
    printf("\nphone strings identical: %d of %d\n\nfield  agreement\n", matches, files);
    int ok = matches >= min_match;
    double worst = 1;
    for (int f = 0; f < NF; f++) {
        double a = total ? (double)agree[f] / (double)total : 0;
        if (a < worst) worst = a;
        printf("%-5s  %6.2f%%%s\n", NAME[f], 100 * a, a < min_field ? "  BELOW" : "");
        if (a < min_field) ok = 0;
    }
    printf("\nlowest field agreement %.2f%%; %s\n", 100 * worst, ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
