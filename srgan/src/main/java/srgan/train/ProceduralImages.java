package srgan.train;

import srgan.engine.Rng;
import srgan.image.RgbImage;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in training data: images drawn from a seed, so the jar needs no image files and carries no content
 * from elsewhere. Each image is a colour gradient with, on top, a patch of stripes, a checkerboard or rings,
 * and a handful of anti-aliased shapes (ellipses, rotated rectangles, triangles, lines) in random colours.
 * Sharp edges at every angle and periodic textures of several frequencies give super-resolution something to
 * learn that bicubic interpolation gets wrong.
 */
final class ProceduralImages implements ImageSource {
    private final List<PackedImage> images;

    private ProceduralImages(List<PackedImage> images) {
        this.images = images;
    }

    /** {@code count} images of {@code side} x {@code side} pixels; the same seed draws the same images. */
    static ProceduralImages generate(int count, int side, long seed) {
        Rng rng = new Rng(seed);
        List<PackedImage> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(PackedImage.of("procedural-" + i, draw(rng, side)));
        return new ProceduralImages(out);
    }

    static RgbImage draw(Rng rng, int side) {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setPaint(new GradientPaint(point(rng, side), colour(rng, 255), point(rng, side), colour(rng, 255)));
            g.fillRect(0, 0, side, side);
            texturePatch(g, rng, side);
            int shapes = 3 + rng.nextInt(6);
            for (int s = 0; s < shapes; s++) shape(g, rng, side);
        } finally {
            g.dispose();
        }
        return RgbImage.fromBufferedImage(img);
    }

    /** Stripes, a checkerboard or concentric rings, rotated, inside an ellipse or a rectangle. */
    private static void texturePatch(Graphics2D g, Rng rng, int side) {
        double w = side * (0.3 + 0.5 * rng.nextDouble());
        double h = side * (0.3 + 0.5 * rng.nextDouble());
        double x = rng.nextDouble() * (side - w);
        double y = rng.nextDouble() * (side - h);
        Shape region = rng.nextInt(2) == 0 ? new Ellipse2D.Double(x, y, w, h) : new Rectangle2D.Double(x, y, w, h);
        Graphics2D p = (Graphics2D) g.create();
        try {
            p.clip(region);
            p.setColor(colour(rng, 255));
            p.fill(region);
            p.setColor(colour(rng, 255));
            double period = 2.5 + rng.nextDouble() * 10;
            double cx = x + w / 2, cy = y + h / 2;
            int kind = rng.nextInt(3);
            if (kind == 2) {
                p.setStroke(new BasicStroke((float) (period / 2)));
                for (double r = period; r < side; r += period) {
                    p.draw(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
                }
                return;
            }
            p.transform(AffineTransform.getRotateInstance(rng.nextDouble() * Math.PI, cx, cy));
            for (double u = cx - side; u < cx + side; u += period) {
                if (kind == 0) {
                    p.fill(new Rectangle2D.Double(u, cy - side, period / 2, 2 * side));
                } else {
                    int column = (int) Math.round((u - cx) / period);
                    for (double v = cy - side; v < cy + side; v += period) {
                        int row = (int) Math.round((v - cy) / period);
                        if (((column + row) & 1) == 0) p.fill(new Rectangle2D.Double(u, v, period, period));
                    }
                }
            }
        } finally {
            p.dispose();
        }
    }

    private static void shape(Graphics2D g, Rng rng, int side) {
        g.setColor(colour(rng, 140 + rng.nextInt(116)));
        double size = side * (0.05 + 0.4 * rng.nextDouble());
        double cx = rng.nextDouble() * side, cy = rng.nextDouble() * side;
        Shape s = switch (rng.nextInt(4)) {
            case 0 -> new Ellipse2D.Double(cx - size / 2, cy - size * 0.35, size, size * (0.3 + rng.nextDouble()));
            case 1 -> AffineTransform.getRotateInstance(rng.nextDouble() * Math.PI, cx, cy)
                    .createTransformedShape(new Rectangle2D.Double(cx - size / 2, cy - size / 4, size, size / 2));
            case 2 -> {
                Path2D.Double t = new Path2D.Double();
                t.moveTo(cx + size * (rng.nextDouble() - 0.5), cy + size * (rng.nextDouble() - 0.5));
                t.lineTo(cx + size * (rng.nextDouble() - 0.5), cy + size * (rng.nextDouble() - 0.5));
                t.lineTo(cx + size * (rng.nextDouble() - 0.5), cy + size * (rng.nextDouble() - 0.5));
                t.closePath();
                yield t;
            }
            default -> {
                double a = rng.nextDouble() * Math.PI;
                g.setStroke(new BasicStroke((float) (0.8 + 3 * rng.nextDouble()), BasicStroke.CAP_ROUND,
                        BasicStroke.JOIN_ROUND));
                g.draw(new Line2D.Double(cx - size * Math.cos(a), cy - size * Math.sin(a),
                        cx + size * Math.cos(a), cy + size * Math.sin(a)));
                yield null;
            }
        };
        if (s != null) g.fill(s);
    }

    private static Color colour(Rng rng, int alpha) {
        return new Color(rng.nextInt(256), rng.nextInt(256), rng.nextInt(256), alpha);
    }

    private static Point2D point(Rng rng, int side) {
        return new Point2D.Double(rng.nextDouble() * side, rng.nextDouble() * side);
    }

    @Override
    public int size() {
        return images.size();
    }

    @Override
    public int width(int index) {
        return images.get(index).width();
    }

    @Override
    public int height(int index) {
        return images.get(index).height();
    }

    @Override
    public PackedImage image(int index) {
        return images.get(index);
    }

    @Override
    public String describe() {
        return "built-in procedural images (" + images.size() + " of " + width(0) + "x" + height(0) + ")";
    }
}
