/* floor-loader OBJECT PROGRAM...: loads and attaches the named programs of OBJECT, prints
 * "attached", and keeps them attached until its standard input ends (scripts/bench/floor). */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int named(const char *name, int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], name) == 0) return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	char buf[64];

	if (argc < 3) {
		fprintf(stderr, "usage: %s OBJECT PROGRAM...\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, named(bpf_program__name(prog), argc, argv));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: cannot load %s\n", argv[0], argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__autoload(prog) && !bpf_program__attach(prog)) {
			fprintf(stderr, "%s: cannot attach %s\n", argv[0], bpf_program__name(prog));
			return 1;
		}
	}
	printf("attached\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	return 0;
}
